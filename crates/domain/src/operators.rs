//! The people of a tenant's collections team who sign in to the dashboard, and what each may do.

use crate::portfolio::string_enum;

string_enum!(/// What an operator may do: a viewer reads, an agent also works debtors (tasks, replies,
    /// promises, payments, disputes, retries), an admin also changes the set-up (strategies,
    /// templates, imports). Ordered: `Viewer < Agent < Admin`.
    OperatorRole, "operator role" { Viewer => "viewer", Agent => "agent", Admin => "admin" });

impl OperatorRole {
    /// Whether this role includes everything `need` may do.
    pub fn allows(self, need: OperatorRole) -> bool {
        self >= need
    }
}

#[cfg(test)]
mod tests {
    use super::OperatorRole::{self, Admin, Agent, Viewer};

    #[test]
    fn each_role_allows_itself_and_the_roles_below() {
        let table: [(OperatorRole, OperatorRole, bool); 9] = [
            (Viewer, Viewer, true),
            (Viewer, Agent, false),
            (Viewer, Admin, false),
            (Agent, Viewer, true),
            (Agent, Agent, true),
            (Agent, Admin, false),
            (Admin, Viewer, true),
            (Admin, Agent, true),
            (Admin, Admin, true),
        ];
        for (role, need, allowed) in table {
            assert_eq!(role.allows(need), allowed, "{role} doing what needs {need}");
        }
    }

    #[test]
    fn roles_parse_from_their_names_and_name_the_choices_otherwise() {
        assert_eq!("Admin".parse::<OperatorRole>(), Ok(Admin));
        let error = "boss".parse::<OperatorRole>().unwrap_err().to_string();
        assert!(error.contains("viewer, agent, admin"), "{error}");
    }
}
