//! The fields of the import format (docs/import.md), in the order the document lists them: the
//! one place that names them.

/// Every field, in the documented order.
pub const FIELDS: [&str; 35] = [
    "debtor_external_id",
    "debtor_name",
    "debtor_kind",
    "document_type",
    "document_number",
    "birth_date",
    "country",
    "language",
    "timezone",
    "segment",
    "tags",
    "email",
    "phone",
    "whatsapp",
    "address_line1",
    "address_line2",
    "address_city",
    "address_region",
    "address_postal_code",
    "email_consent",
    "sms_consent",
    "whatsapp_consent",
    "voice_consent",
    "letter_consent",
    "consent_source",
    "consent_at",
    "preferred_channel",
    "paperless",
    "debt_external_id",
    "currency",
    "amount",
    "balance",
    "issued_date",
    "due_date",
    "product",
];

/// Fields a file must have. Without a `currency` column, the tenant's currency applies.
pub const REQUIRED: &[&str] = &[
    "debtor_external_id",
    "debtor_name",
    "debt_external_id",
    "amount",
    "due_date",
];

/// Prefix of free-attribute columns in CSV.
pub const ATTRIBUTE_PREFIX: &str = "attr_";

/// JSONL-only keys.
pub const JSONL_ONLY: &[&str] = &["attributes"];

pub fn is_known(name: &str) -> bool {
    FIELDS.contains(&name)
        || (name.starts_with(ATTRIBUTE_PREFIX) && name.len() > ATTRIBUTE_PREFIX.len())
}

/// An invoice-number column: the debt's external id when the file has no `debt_external_id`,
/// otherwise kept as a free attribute of that name.
pub const INVOICE: &str = "invoice_number";

/// What a header means, written without case, accents, spaces or punctuation
/// ([`normalize_header`]): Spanish and Portuguese names as billing systems and spreadsheets
/// export them, and common English ones.
const ALIASES: &[(&str, &str)] = &[
    // The debtor.
    ("idcliente", "debtor_external_id"),
    ("codigocliente", "debtor_external_id"),
    ("codcliente", "debtor_external_id"),
    ("clienteid", "debtor_external_id"),
    ("iddeudor", "debtor_external_id"),
    ("iddevedor", "debtor_external_id"),
    ("customerid", "debtor_external_id"),
    ("nombre", "debtor_name"),
    ("nombres", "debtor_name"),
    ("nombrecompleto", "debtor_name"),
    ("nombrecliente", "debtor_name"),
    ("nombredeudor", "debtor_name"),
    ("razonsocial", "debtor_name"),
    ("cliente", "debtor_name"),
    ("deudor", "debtor_name"),
    ("nome", "debtor_name"),
    ("nomecompleto", "debtor_name"),
    ("nomecliente", "debtor_name"),
    ("nomedevedor", "debtor_name"),
    ("razaosocial", "debtor_name"),
    ("devedor", "debtor_name"),
    ("name", "debtor_name"),
    ("fullname", "debtor_name"),
    ("tipopersona", "debtor_kind"),
    ("tipodocumento", "document_type"),
    ("tipodedocumento", "document_type"),
    ("tipoidentificacion", "document_type"),
    ("tipodeidentificacion", "document_type"),
    ("tipodoc", "document_type"),
    ("documento", "document_number"),
    ("numerodocumento", "document_number"),
    ("numerodedocumento", "document_number"),
    ("nrodocumento", "document_number"),
    ("identificacion", "document_number"),
    ("numeroidentificacion", "document_number"),
    ("numerodeidentificacion", "document_number"),
    ("fechanacimiento", "birth_date"),
    ("fechadenacimiento", "birth_date"),
    ("datanascimento", "birth_date"),
    ("datadenascimento", "birth_date"),
    ("nascimento", "birth_date"),
    ("pais", "country"),
    ("idioma", "language"),
    ("zonahoraria", "timezone"),
    ("fusohorario", "timezone"),
    ("segmento", "segment"),
    ("etiquetas", "tags"),
    // Contact points.
    ("correo", "email"),
    ("correoelectronico", "email"),
    ("mail", "email"),
    ("telefono", "phone"),
    ("telefone", "phone"),
    ("tel", "phone"),
    ("celular", "phone"),
    ("movil", "phone"),
    ("telefonomovil", "phone"),
    ("telefonocelular", "phone"),
    ("fone", "phone"),
    ("mobile", "phone"),
    ("phonenumber", "phone"),
    ("direccion", "address_line1"),
    ("endereco", "address_line1"),
    ("logradouro", "address_line1"),
    ("address", "address_line1"),
    ("complemento", "address_line2"),
    ("ciudad", "address_city"),
    ("cidade", "address_city"),
    ("municipio", "address_city"),
    ("city", "address_city"),
    ("departamento", "address_region"),
    ("estado", "address_region"),
    ("provincia", "address_region"),
    ("region", "address_region"),
    ("uf", "address_region"),
    ("codigopostal", "address_postal_code"),
    ("cep", "address_postal_code"),
    ("zip", "address_postal_code"),
    ("zipcode", "address_postal_code"),
    // The debt.
    ("factura", INVOICE),
    ("numerofactura", INVOICE),
    ("numerodefactura", INVOICE),
    ("nrofactura", INVOICE),
    ("nofactura", INVOICE),
    ("fatura", INVOICE),
    ("numerofatura", INVOICE),
    ("notafiscal", INVOICE),
    ("numeronotafiscal", INVOICE),
    ("nf", INVOICE),
    ("boleta", INVOICE),
    ("invoice", INVOICE),
    ("invoicenumber", INVOICE),
    ("obligacion", "debt_external_id"),
    ("numeroobligacion", "debt_external_id"),
    ("iddeuda", "debt_external_id"),
    ("iddivida", "debt_external_id"),
    ("contrato", "debt_external_id"),
    ("moneda", "currency"),
    ("moeda", "currency"),
    ("divisa", "currency"),
    ("valor", "amount"),
    ("valororiginal", "amount"),
    ("valortotal", "amount"),
    ("monto", "amount"),
    ("montooriginal", "amount"),
    ("montototal", "amount"),
    ("importe", "amount"),
    ("total", "amount"),
    ("saldo", "balance"),
    ("saldopendiente", "balance"),
    ("saldoactual", "balance"),
    ("saldodevedor", "balance"),
    ("valorpendiente", "balance"),
    ("fechaemision", "issued_date"),
    ("fechadeemision", "issued_date"),
    ("fechafactura", "issued_date"),
    ("emision", "issued_date"),
    ("dataemissao", "issued_date"),
    ("datadeemissao", "issued_date"),
    ("emissao", "issued_date"),
    ("fechavencimiento", "due_date"),
    ("fechadevencimiento", "due_date"),
    ("vencimiento", "due_date"),
    ("fechalimite", "due_date"),
    ("fechalimitedepago", "due_date"),
    ("vencimento", "due_date"),
    ("datavencimento", "due_date"),
    ("datadevencimento", "due_date"),
    ("duedate", "due_date"),
    ("producto", "product"),
    ("produto", "product"),
];

/// Document-number columns named after the document: the column is `document_number`, and
/// the name says the document type when the file has no `document_type` column.
const DOCUMENTS: &[(&str, &str)] = &[
    ("cedula", "cc"),
    ("cc", "cc"),
    ("cedulaciudadania", "cc"),
    ("ceduladeciudadania", "cc"),
    ("nit", "nit"),
    ("rut", "rut"),
    ("run", "rut"),
    ("dni", "dni"),
    ("curp", "curp"),
    ("rfc", "rfc"),
    ("ruc", "ruc"),
    ("cuit", "cuit"),
    ("cuil", "cuil"),
    ("cpf", "cpf"),
    ("cnpj", "cnpj"),
    ("nie", "nie"),
];

/// A header without case, accents, spaces or punctuation: "Fecha de vencimiento" →
/// `fechadevencimiento`, "E-mail" → `email`, "debtor_external_id" → `debtorexternalid`.
pub fn normalize_header(title: &str) -> String {
    title
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' | 'º' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            other => other,
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// What a column of the file is read as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadAs {
    /// A field of the format.
    Field(&'static str),
    /// A free attribute of the debtor.
    Attribute(String),
    /// Skipped, as the mapping file says.
    Ignored,
    /// Not recognised: the import stops.
    Unknown,
}

impl std::fmt::Display for ReadAs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadAs::Field(name) => f.write_str(name),
            ReadAs::Attribute(name) => write!(f, "attribute `{name}`"),
            ReadAs::Ignored => f.write_str("ignored"),
            ReadAs::Unknown => f.write_str("UNKNOWN"),
        }
    }
}

/// The field a header names, by its own name or an alias, with the document type a
/// document-named column implies.
pub fn recognise(title: &str) -> Option<(&'static str, Option<&'static str>)> {
    let name = normalize_header(title);
    if name.is_empty() {
        return None;
    }
    if let Some(field) = FIELDS.iter().find(|f| normalize_header(f) == name) {
        return Some((field, None));
    }
    if let Some((_, field)) = ALIASES.iter().find(|(alias, _)| *alias == name) {
        return Some((field, None));
    }
    DOCUMENTS
        .iter()
        .find(|(alias, _)| normalize_header(alias) == name)
        .map(|(_, kind)| ("document_number", Some(*kind)))
}

/// Headers the tenant maps by hand (`--map mapping.toml`): a header to a field, to
/// `attr_<name>`, or to `ignore`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    /// (normalised header, what it is read as)
    entries: Vec<(String, ReadAs)>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFile {
    #[serde(default)]
    columns: std::collections::BTreeMap<String, String>,
}

impl ColumnMap {
    /// Reads a mapping file:
    ///
    /// ```toml
    /// [columns]
    /// "Nro. Obligación" = "debt_external_id"
    /// "Asesor" = "attr_asesor"
    /// "Observaciones" = "ignore"
    /// ```
    pub fn from_toml(text: &str) -> Result<ColumnMap, String> {
        let file: MapFile = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let mut map = ColumnMap::default();
        for (header, target) in file.columns {
            map.insert(&header, &target)?;
        }
        Ok(map)
    }

    /// Maps one header; `target` is a field, `attr_<name>` or `ignore`.
    pub fn insert(&mut self, header: &str, target: &str) -> Result<(), String> {
        let target = target.trim();
        let read_as = if target.eq_ignore_ascii_case("ignore") {
            ReadAs::Ignored
        } else if let Some(name) = target
            .strip_prefix(ATTRIBUTE_PREFIX)
            .filter(|n| !n.is_empty())
        {
            ReadAs::Attribute(name.to_string())
        } else if let Some(field) = FIELDS.iter().find(|f| **f == target) {
            ReadAs::Field(field)
        } else {
            return Err(format!(
                "`{header}` is mapped to `{target}`, which is no field of the format \
                 (use a field name, `attr_<name>` or `ignore`)"
            ));
        };
        self.entries.push((normalize_header(header), read_as));
        Ok(())
    }

    fn get(&self, title: &str) -> Option<&ReadAs> {
        let name = normalize_header(title);
        self.entries
            .iter()
            .find(|(header, _)| *header == name)
            .map(|(_, read_as)| read_as)
    }
}

/// How a CSV file's columns are read: the result of its header row.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Each column of the file: its title and what it is read as.
    pub columns: Vec<(String, ReadAs)>,
    /// Field → column index, including fields taken from another column (below).
    pub header: std::collections::HashMap<String, usize>,
    pub attr_columns: Vec<(String, usize)>,
    /// The document type every row has when the file has no `document_type` column.
    pub document_type: Option<&'static str>,
    /// Fields read from another field's column, or defaulted: said to the user.
    pub notes: Vec<String>,
}

impl Layout {
    /// Reads the header row. Errors name every missing, unknown and repeated column.
    pub fn from_headers<'a>(
        titles: impl IntoIterator<Item = &'a str>,
        map: &ColumnMap,
    ) -> Result<Layout, crate::ImportError> {
        let mut layout = Layout::default();
        let (mut unknown, mut duplicated) = (vec![], vec![]);
        let mut invoice = None;
        let mut document_type = None;
        for (column, title) in titles.into_iter().enumerate() {
            let title = title.trim();
            let lower = title.to_lowercase();
            let read_as = if let Some(read_as) = map.get(title) {
                read_as.clone()
            } else if let Some(name) = lower
                .strip_prefix(ATTRIBUTE_PREFIX)
                .filter(|n| !n.is_empty())
            {
                ReadAs::Attribute(name.to_string())
            } else if let Some((field, kind)) = recognise(title) {
                if kind.is_some() {
                    document_type = kind;
                }
                ReadAs::Field(field)
            } else {
                unknown.push(if title.is_empty() {
                    format!("(empty, column {})", column + 1)
                } else {
                    title.to_string()
                });
                ReadAs::Unknown
            };
            match &read_as {
                ReadAs::Field(INVOICE) => {
                    if invoice.replace(column).is_some() {
                        duplicated.push(title.to_string());
                    }
                }
                ReadAs::Field(field) => {
                    if let Some(first) = layout.header.insert(field.to_string(), column) {
                        // Both titles: "Teléfono" and "Celular" are both `phone`.
                        duplicated.push(format!(
                            "{} and {title} (both {field})",
                            layout.columns[first].0
                        ));
                    }
                }
                ReadAs::Attribute(name) => layout.attr_columns.push((name.clone(), column)),
                ReadAs::Ignored | ReadAs::Unknown => {}
            }
            layout.columns.push((title.to_string(), read_as));
        }
        let title_of = |layout: &Layout, column: usize| layout.columns[column].0.clone();
        if let Some(column) = invoice {
            if layout.header.contains_key("debt_external_id") {
                layout.attr_columns.push((INVOICE.to_string(), column));
                layout.columns[column].1 = ReadAs::Attribute(INVOICE.to_string());
            } else {
                layout.header.insert("debt_external_id".to_string(), column);
                layout.columns[column].1 = ReadAs::Field("debt_external_id");
                layout.notes.push(format!(
                    "debt_external_id: the invoice number in `{}`",
                    title_of(&layout, column)
                ));
            }
        }
        if !layout.header.contains_key("debtor_external_id")
            && let Some(&column) = layout.header.get("document_number")
        {
            layout
                .header
                .insert("debtor_external_id".to_string(), column);
            layout.notes.push(format!(
                "debtor_external_id: the document number in `{}`",
                title_of(&layout, column)
            ));
        }
        if !layout.header.contains_key("document_type")
            && let Some(kind) = document_type
        {
            layout.document_type = Some(kind);
            layout
                .notes
                .push(format!("document_type: `{kind}`, from the column's name"));
        }
        let missing: Vec<String> = REQUIRED
            .iter()
            .filter(|c| !layout.header.contains_key(**c))
            .map(|c| c.to_string())
            .collect();
        if !missing.is_empty() || !unknown.is_empty() || !duplicated.is_empty() {
            return Err(crate::ImportError::Columns {
                missing,
                unknown,
                duplicated,
            });
        }
        Ok(layout)
    }

    /// The title of the file's column a field is read from.
    pub fn title(&self, field: &str) -> Option<&str> {
        self.header
            .get(field)
            .and_then(|&column| self.columns.get(column))
            .map(|(title, _)| title.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_compared_without_case_accents_spacing_or_punctuation() {
        for (title, field) in [
            ("Fecha de vencimiento", "due_date"),
            ("FECHA_VENCIMIENTO", "due_date"),
            ("E-mail", "email"),
            ("Correo electrónico", "email"),
            ("Cédula", "document_number"),
            ("CPF", "document_number"),
            ("Nome", "debtor_name"),
            ("Vencimento", "due_date"),
            ("Telefone", "phone"),
            ("Celular", "phone"),
            ("Nota Fiscal", INVOICE),
            ("Factura", INVOICE),
            ("Valor", "amount"),
            ("Saldo", "balance"),
            ("Debtor External ID", "debtor_external_id"),
            ("  amount ", "amount"),
            ("Dirección", "address_line1"),
        ] {
            assert_eq!(recognise(title).map(|r| r.0), Some(field), "{title}");
        }
        assert_eq!(recognise("Cédula"), Some(("document_number", Some("cc"))));
        assert_eq!(recognise("Observaciones"), None);
    }

    #[test]
    fn a_file_without_ids_takes_them_from_the_document_and_the_invoice() {
        let layout = Layout::from_headers(
            [
                "Cédula",
                "Nombre",
                "Factura",
                "Valor",
                "Fecha de vencimiento",
            ],
            &ColumnMap::default(),
        )
        .unwrap();
        assert_eq!(layout.header["debtor_external_id"], 0);
        assert_eq!(layout.header["document_number"], 0);
        assert_eq!(layout.header["debt_external_id"], 2);
        assert_eq!(layout.document_type, Some("cc"));
        assert!(!layout.header.contains_key("currency"));
        assert_eq!(layout.title("amount"), Some("Valor"));

        // With an id column, the invoice number is kept as an attribute.
        let layout = Layout::from_headers(
            [
                "cedula",
                "nome",
                "debt_external_id",
                "nota_fiscal",
                "valor",
                "vencimento",
            ],
            &ColumnMap::default(),
        )
        .unwrap();
        assert_eq!(layout.header["debt_external_id"], 2);
        assert_eq!(layout.attr_columns, vec![(INVOICE.to_string(), 3)]);
    }

    #[test]
    fn a_mapping_names_any_other_header() {
        let map = ColumnMap::from_toml(
            "[columns]\n\"Nro. Obligación\" = \"debt_external_id\"\n\
             \"Asesor\" = \"attr_asesor\"\n\"Observaciones\" = \"ignore\"\n",
        )
        .unwrap();
        let layout = Layout::from_headers(
            [
                "Cédula",
                "Nombre",
                "NRO OBLIGACION",
                "Valor",
                "Vencimiento",
                "Asesor",
                "Observaciones",
            ],
            &map,
        )
        .unwrap();
        assert_eq!(layout.header["debt_external_id"], 2);
        assert_eq!(layout.attr_columns, vec![("asesor".to_string(), 5)]);
        assert_eq!(layout.columns[6].1, ReadAs::Ignored);

        let err = ColumnMap::from_toml("[columns]\nX = \"saldo_total\"\n").unwrap_err();
        assert!(err.contains("`X` is mapped to `saldo_total`"), "{err}");
        assert!(ColumnMap::from_toml("[colums]\n").is_err());

        // Two columns of one field: refused, naming both, until a mapping sets one apart.
        let titles = [
            "Cédula",
            "Nombre",
            "Factura",
            "Valor",
            "Vencimiento",
            "Teléfono",
            "Celular",
        ];
        match Layout::from_headers(titles, &ColumnMap::default()) {
            Err(crate::ImportError::Columns { duplicated, .. }) => {
                assert_eq!(duplicated, vec!["Teléfono and Celular (both phone)"]);
            }
            other => panic!("{other:?}"),
        }
        let mut map = ColumnMap::default();
        map.insert("teléfono", "attr_telefono_fijo").unwrap();
        let layout = Layout::from_headers(titles, &map).unwrap();
        assert_eq!(layout.header["phone"], 6);

        match Layout::from_headers(["Cédula", "Observaciones"], &ColumnMap::default()) {
            Err(crate::ImportError::Columns {
                missing, unknown, ..
            }) => {
                assert_eq!(unknown, vec!["Observaciones"]);
                assert!(missing.contains(&"amount".to_string()), "{missing:?}");
            }
            other => panic!("{other:?}"),
        }
    }
}
