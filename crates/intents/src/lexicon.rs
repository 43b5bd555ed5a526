//! A small cross-language lexicon: words of the three languages that mean the same thing for
//! this task map to one [`Concept`] ("paguei", "pagué", "paid" → `Paid`; "llámame", "me liga",
//! "call me" → `Call`). The model reads concepts as extra features (so what it learns from a
//! Spanish reply helps with a Portuguese or English one: the corpus has only ~50 replies per
//! intent and language), and the rules read them to stay short.
//!
//! Lookups take a word of [`crate::normalize::normalize`]'s output after the slang map of
//! [`crate::features::slang`] (lower case, no accents). Stems are matched with `starts_with`
//! where a verb has many forms.

use crate::Lang;

/// A meaning shared by the three languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Concept {
    /// no, não, not, never, don't...
    Neg,
    /// ya, já, already, just.
    Already,
    /// A past payment: pagué, paguei, paid, transferí, quitei, settled...
    Paid,
    /// To pay (present, future, infinitive): pago, pagar, pagaré, vou pagar, pay...
    Pay,
    /// will, voy (a), vou, going, gonna.
    Will,
    /// A day or time ahead: mañana, amanhã, tomorrow, viernes, friday, semana, quincena, hoy...
    When,
    /// A time behind: ayer, ontem, yesterday, anoche, pasado, passada, last, ago...
    Past,
    /// can, poder, conseguir, able, afford, alcanza...
    Able,
    /// dinero, plata, dinheiro, money, cash.
    Money,
    /// sueldo, salário, quincena, paycheck, payday, aguinaldo, 13º...
    Salary,
    /// trabajo, emprego, job, work.
    Job,
    /// desempleado, desempregado, despedido, demitido, laid off, unemployed...
    JobLoss,
    /// enfermo, hospital, doente, cancer, disability, injury...
    Illness,
    /// cuotas, parcelar, installments, plan, acuerdo, acordo, settlement, negociar...
    Plan,
    /// descuento, desconto, discount, rebaja, reduce, waive, condonar, quitar juros...
    Discount,
    /// tiempo, prazo, prórroga, extension, defer, carencia, espera...
    MoreTime,
    /// link, enlace, pix, boleto, clabe, cbu, alias, zelle, routing, wire, qr...
    PayChannel,
    /// cuenta, conta, account, datos bancarios...
    Account,
    /// how, where, which: cómo, dónde, cuál, como, onde, qual, how, where, which.
    HowWhere,
    /// send me / give me: manda, mándame, pásame, envía, send, passa...
    SendMe,
    /// call: llamar, llámame, marcar, ligar, me liga, call, ring, phone...
    Call,
    /// messages and channels: mensaje, mensagem, text, sms, whatsapp, correo, email...
    Message,
    /// write / send messages: escribir, mandar, enviar, texting, contactar, contact...
    Contact,
    /// stop, parar, dejar de, basta, chega, cese, quit, enough...
    Stop,
    /// más, mais, more, again, anymore, nunca más.
    More,
    /// baja, desuscribir, descadastrar, unsubscribe, remove, eliminar, excluir, delete, opt...
    Remove,
    /// privacy law and consent: LGPD, habeas data, ARCO, CCPA, consent, autorizo, datos...
    Privacy,
    /// paz, alone, molestar, acosar, perturbar, joder, esquece...
    LeaveAlone,
    /// persona, pessoa, person, humano, human, someone, alguien, alguém, real...
    Person,
    /// agente, asesor, atendente, operador, supervisor, manager, representative, ejecutivo...
    Agent,
    /// hablar, falar, talk, speak, conversar, atender...
    Talk,
    /// equivocado, errado, wrong, engano...
    Wrong,
    /// murió, falleció, faleceu, morreu, died, deceased, passed away...
    Died,
    /// family and others: hijo, filha, esposa, marido, son, wife, roommate, vecina...
    Relative,
    /// conozco, conheço, know, sé quién...
    Know,
    /// número, celular, chip, line, phone number, correo (as an address)...
    Number,
    /// nombre, nome, name, named, llama (se llama), chamado...
    Name,
    /// deuda, dívida, debt, cargo, charge, cobro, cobrança, factura, bill...
    Debt,
    /// cobran, cobrando, cobraron, cobrou, charged, billed, billing...
    Charged,
    /// doble, duplicado, twice, double, dos veces, duas vezes...
    Double,
    /// cancelado, cancelled, devolví, devolvi, returned, rescindido, baja (del servicio)...
    Cancelled,
    /// recibí, llegó, chegou, received, delivered, entregado, instalado...
    Received,
    /// fraude, golpe, scam, fraud, clonaron, theft, estafa...
    Fraud,
    /// prescrita, caducou, statute, time-barred...
    Prescribed,
    /// contrato, contract, validation, verify, prove, demuestren, detalle, itemized...
    Validate,
    /// mal, errado, incorrect, absurdo, abusivo, indebido, ilegal, bogus, usura, mistake...
    Improper,
    /// reconozco, reconheço, recognize, owe, debo, devo...
    Owe,
    /// PROFECO, CONDUSEF, INDECOPI, Procon, CFPB, FTC, denuncia, queja, abogado, attorney...
    Complaint,
    /// comprobante, recibo, voucher, receipt, proof, constancia, captura, operación...
    Receipt,
    /// lotería, mega sena, pigs fly, sonhando, dreaming, millones...
    Irony,
    /// hola, oi, hi, hello, buenos días, bom dia, good morning...
    Greeting,
    /// gracias, obrigado, thanks...
    Thanks,
    /// ok, vale, listo, ciente, noted, cool...
    Okay,
    /// cuánto, quanto, saldo, balance, monto, valor, amount, owe (how much)...
    Amount,
    /// reminders: recordatorio, aviso, lembrete, reminder, notificación, alerts...
    Reminder,
    /// promise words: prometo, promise, sin falta, sem falta, seguro, for sure, palabra...
    Sure,
    /// if / maybe: si, se, if, maybe, tal vez, talvez, try, tratar...
    Maybe,
    /// Thinking it over, looking later: think, pensar, vejo, reviso...
    Consider,
    /// Third persons: he, she, his, her, ella, ele, ela, dele, dela...
    ThirdPerson,
    /// A verb in a past tense that has no concept of its own: "mandei", "submitted",
    /// "mandaron" (suffixes).
    PastVerb,
}

impl Concept {
    /// A stable name (hashed into features, shown in explanations).
    pub fn as_str(self) -> &'static str {
        use Concept::*;
        match self {
            Neg => "NEG",
            Already => "ALREADY",
            Paid => "PAID",
            Pay => "PAY",
            Will => "WILL",
            When => "WHEN",
            Past => "PAST",
            Able => "ABLE",
            Money => "MONEY",
            Salary => "SALARY",
            Job => "JOB",
            JobLoss => "JOBLOSS",
            Illness => "ILLNESS",
            Plan => "PLAN",
            Discount => "DISCOUNT",
            MoreTime => "MORETIME",
            PayChannel => "PAYCHANNEL",
            Account => "ACCOUNT",
            HowWhere => "HOWWHERE",
            SendMe => "SENDME",
            Call => "CALL",
            Message => "MESSAGE",
            Contact => "CONTACT",
            Stop => "STOP",
            More => "MORE",
            Remove => "REMOVE",
            Privacy => "PRIVACY",
            LeaveAlone => "LEAVEALONE",
            Person => "PERSON",
            Agent => "AGENT",
            Talk => "TALK",
            Wrong => "WRONG",
            Died => "DIED",
            Relative => "RELATIVE",
            Know => "KNOW",
            Number => "NUMBER",
            Name => "NAME",
            Debt => "DEBT",
            Charged => "CHARGED",
            Double => "DOUBLE",
            Cancelled => "CANCELLED",
            Received => "RECEIVED",
            Fraud => "FRAUD",
            Prescribed => "PRESCRIBED",
            Validate => "VALIDATE",
            Improper => "IMPROPER",
            Owe => "OWE",
            Complaint => "COMPLAINT",
            Receipt => "RECEIPT",
            Irony => "IRONY",
            Greeting => "GREETING",
            Thanks => "THANKS",
            Okay => "OKAY",
            Amount => "AMOUNT",
            Reminder => "REMINDER",
            Sure => "SURE",
            Maybe => "MAYBE",
            PastVerb => "PASTVERB",
            ThirdPerson => "THIRDPERSON",
            Consider => "CONSIDER",
        }
    }
}

fn any_prefix(word: &str, stems: &[&str]) -> bool {
    stems.iter().any(|s| word.starts_with(s))
}

/// The concept of one word in `lang`, if it has one.
pub fn concept(lang: Lang, word: &str) -> Option<Concept> {
    use Concept::*;
    // Words whose meaning depends on the language.
    match (lang, word) {
        (Lang::Es | Lang::En, "no") => return Some(Neg),
        (Lang::Pt, "no" | "na" | "do") => return None,
        (Lang::Pt, "para" | "pare" | "parem" | "paren") => return Some(Stop),
        (Lang::Es, "pare" | "paren" | "parale" | "parenle" | "parenla") => return Some(Stop),
        (Lang::Es, "para" | "pa") => return None,
        (Lang::Pt, "pago") => return Some(Pay),
        (Lang::Es, "pago") => return Some(Pay),
        (Lang::Es, "si" | "se") | (Lang::Pt, "se") => return Some(Maybe),
        (Lang::Pt, "sem") => return Some(Neg),
        (Lang::Es, "sin") => return Some(Neg),
        (Lang::Es, "mas") | (Lang::Pt, "mais") => return Some(More),
        (Lang::Pt, "mas") => return None,
        (Lang::Es, "ya") | (Lang::Pt, "ja") => return Some(Already),
        (Lang::Es, "cancelo" | "cancelar" | "cancelamos" | "cancelare" | "cancelarle") => {
            return Some(Pay);
        }
        (Lang::Es, "cancele" | "cancelado" | "cancelada") => return Some(Cancelled),
        (Lang::Pt, "dar" | "da" | "deu") => return Some(Able),
        (Lang::Es | Lang::Pt, "son" | "real") => return None,
        (Lang::Es, "ella" | "ellas" | "ellos" | "suyo" | "suya")
        | (Lang::Pt, "ele" | "ela" | "eles" | "elas" | "dele" | "dela" | "deles" | "delas")
        | (Lang::En, "he" | "she" | "his" | "her" | "him" | "he's" | "she's" | "they're") => {
            return Some(ThirdPerson);
        }
        (Lang::En, "sale" | "once") => return None,
        _ => {}
    }
    let concept = match word {
        "nao" | "not" | "never" | "nunca" | "don't" | "can't" | "won't" | "didn't" | "doesn't"
        | "isn't" | "ni" | "nem" | "tampoco" | "jamas" | "jamais" | "nothing" | "nada"
        | "nobody" | "nadie" | "ninguem" | "ningun" | "ninguna" | "nenhum" | "nenhuma"
        | "aren't" | "wasn't" | "couldn't" | "ain't" | "nope" | "nah" | "idk" | "dunno" => Neg,
        "already" | "just" | "acabei" | "acabo" | "recien" => Already,
        "paid" | "pague" | "pagado" | "pagada" | "paguei" | "pagou" | "pagaste" | "pagaron"
        | "pagamos" | "quitei" | "quitado" | "quitada" | "quitamos" | "settled" | "remitted"
        | "transferi" | "deposite" | "depositei" | "consigne" | "abone" | "liquide" | "salde"
        | "yapee" | "yapie" | "plinee" | "mailed" | "posted" | "cleared" | "efetuado"
        | "efetuada" | "efetuamos" | "realizado" | "realizada" | "realice" | "hice" | "hizo"
        | "fiz" | "fizemos" | "transferido" | "depositado" | "debitado" | "descontou" | "caiu"
        | "wired" | "payed" | "made" | "sent" | "took" | "dropped" | "realizo" | "efetuei"
        | "transferimos" | "depositamos" => Paid,
        "pay" | "paying" | "pagar" | "pagare" | "pagarei" | "pagaremos" | "pagarle" | "pagarte"
        | "pagarles" | "pagarlo" | "pagarla" | "pagas" | "quitar" | "quito" | "quitarei"
        | "acerto" | "deposito" | "depositar" | "depositarle" | "transfiero" | "transfiro"
        | "transferir" | "abono" | "abonar" | "yapeo" | "plineo" | "giro" | "settle" | "faco"
        | "hago" | "efetuo" | "remit" | "payment" | "pagamento" => Pay,
        "will" | "i'll" | "i'l" | "we'll" | "voy" | "vou" | "vamos" | "going" | "gonna"
        | "shall" | "ire" | "irei" => Will,
        "manana" | "amanha" | "tomorrow" | "hoy" | "hoje" | "today" | "tonight" | "lunes"
        | "martes" | "miercoles" | "jueves" | "viernes" | "sabado" | "domingo" | "segunda"
        | "terca" | "quarta" | "quinta" | "sexta" | "monday" | "tuesday" | "wednesday"
        | "thursday" | "friday" | "saturday" | "sunday" | "semana" | "week" | "weekend"
        | "finde" | "quincena" | "quinzena" | "proximo" | "proxima" | "next" | "fin" | "fim"
        | "end" | "eom" | "end-of-month" | "mes" | "month" | "diciembre" | "dezembro"
        | "december" | "enero" | "janeiro" | "january" | "<d>" | "ahorita" | "luego" | "pronto"
        | "soon" | "asap" | "breve" | "later" | "despues" | "depois" | "after" | "tarde"
        | "noche" | "noite" => When,
        "ayer" | "ontem" | "yesterday" | "anoche" | "anteontem" | "pasado" | "passado"
        | "passada" | "last" | "ago" | "hace" | "faz" | "retrasada" | "earlier" | "octubre"
        | "outubro" | "october" | "septiembre" | "setembro" | "september" | "noviembre"
        | "novembro" | "november" => Past,
        "can" | "puedo" | "pueda" | "puede" | "podre" | "poder" | "posso" | "consigo"
        | "conseguir" | "consegui" | "able" | "afford" | "alcanza" | "alcanzo" | "could"
        | "podemos" | "pudiera" | "podria" => Able,
        "dinero" | "dinheiro" | "money" | "cash" | "funds" | "fondos" | "efectivo" => Money,
        "sueldo" | "salario" | "paycheck" | "payday" | "aguinaldo" | "13º" | "bono" | "bonus"
        | "check" | "deposit" | "beneficio" | "plr" => Salary,
        "trabajo" | "emprego" | "job" | "work" | "trabalho" | "empleo" => Job,
        "desempleado" | "desempleada" | "desempregado" | "desempregada" | "despedido"
        | "despedida" | "despidieron" | "demitido" | "demitida" | "laid" | "unemployed"
        | "unemployment" | "fired" | "desemprego" | "cesante" | "jobless" => JobLoss,
        "enfermo" | "enferma" | "hospital" | "internado" | "internada" | "doente" | "cancer"
        | "disability" | "injury" | "incapacitado" | "medical" | "medica" | "medico"
        | "cirugia" | "surgery" | "sick" | "ill" | "tratamento" | "doenca" | "accidente"
        | "licencia" | "licenca" | "afastado" => Illness,
        "cuotas" | "parcelar" | "parcelas" | "parcelado" | "installments" | "installment"
        | "plan" | "acuerdo" | "acordo" | "settlement" | "arrangement" | "negociar"
        | "negociacion" | "renegociar" | "renegociacion" | "renegociacao" | "refinanciar"
        | "split" | "parcial" | "parciales" | "partial" | "mitad" | "metade" | "half"
        | "minimo" | "minima" | "minimum" | "abonos" | "proposta" | "propuesta" | "options"
        | "opciones" | "opcoes" => Plan,
        "descuento" | "desconto" | "discount" | "rebaja" | "reduce" | "reducir" | "reduzcan"
        | "waive" | "condonar" | "condonan" | "diminuir" | "less" | "menos" | "off" => Discount,
        "tiempo" | "tempo" | "time" | "prazo" | "plazo" | "prorroga" | "extension" | "defer"
        | "carencia" | "esperar" | "wait" | "paciencia" | "patience" | "chance" | "pause"
        | "forbearance" | "suspender" => MoreTime,
        "link" | "enlace" | "pix" | "boleto" | "clabe" | "cbu" | "cvu" | "alias" | "zelle"
        | "venmo" | "routing" | "wire" | "swift" | "qr" | "yape" | "plin" | "nequi" | "pse"
        | "oxxo" | "referencia" | "convenio" | "chave" | "digitavel" | "codigo" | "cip" | "ach"
        | "paypal" | "cashapp" | "portal" | "website" | "site" | "app" | "webpay" | "spei"
        | "cci" | "via" | "2ª" | "barras" | "khipu" | "transferencia" | "card" | "tarjeta"
        | "cartao" | "payee" | "coupon" => PayChannel,
        "cuenta" | "conta" | "account" | "datos" | "dados" | "banco" | "bank" | "agencia"
        | "bancarios" | "bancarias" | "bancaria" | "address" | "direccion" | "endereco" => Account,
        "como" | "donde" | "cual" | "onde" | "qual" | "how" | "where" | "which" | "what"
        | "what's" | "whats" => HowWhere,
        "manda" | "mandame" | "mande" | "manden" | "mandas" | "mandan" | "envia" | "envie"
        | "envien" | "enviar" | "envienme" | "pasame" | "pasa" | "pasan" | "pasas" | "pasen"
        | "passa" | "passe" | "send" | "reenviar" | "resend" | "give" | "dame" | "denme" => SendMe,
        "llamar" | "llamame" | "llamenme" | "llameme" | "llama" | "llamen" | "llame"
        | "llamarme" | "llamada" | "llamadas" | "marcar" | "marquen" | "marquenme" | "marcame"
        | "marque" | "marca" | "ligar" | "liga" | "ligue" | "liguem" | "ligacao" | "ligacoes"
        | "ligando" | "ligam" | "ligaram" | "call" | "calls" | "calling" | "called" | "ring"
        | "phone" | "telefono" | "telefone" | "telefonica" | "telefonico" | "videollamada"
        | "callback" => Call,
        "mensaje" | "mensajes" | "mensagem" | "mensagens" | "message" | "messages" | "text"
        | "texts" | "texting" | "sms" | "whatsapp" | "correo" | "correos" | "email" | "emails"
        | "e-mail" | "mail" | "notificaciones" | "notificacoes" | "notifications" | "cartas" => {
            Message
        }
        "escribir" | "escriban" | "escribas" | "escriba" | "escribirme" | "escriben" | "mandar"
        | "mandarme" | "mandando" | "enviarme" | "enviando" | "sending" | "messaging"
        | "contactar" | "contacten" | "contactarme" | "contactame" | "contacto" | "contato"
        | "contatar" | "contact" | "contacting" | "contacted" | "emailing" | "molestando"
        | "buscando" => Contact,
        "stop" | "parar" | "dejen" | "deja" | "dejar" | "basta" | "chega" | "cese" | "cesen"
        | "cessem" | "cease" | "quit" | "enough" | "desist" | "parem" | "paren" | "knock"
        | "cessacao" | "cesar" | "suspendan" | "suspenda" | "suspend" => Stop,
        "more" | "again" | "anymore" | "mais" | "denuevo" | "novo" => More,
        "baja" | "desuscribir" | "desuscribirme" | "desuscribo" | "descadastra"
        | "descadastrar" | "descadastramento" | "descadastre" | "unsubscribe" | "unsub"
        | "remove" | "removam" | "remover" | "eliminar" | "eliminen" | "elimina" | "excluir"
        | "exclua" | "delete" | "borren" | "borrar" | "borrenme" | "apaguem" | "apagar"
        | "retiren" | "tira" | "tirem" | "opt" | "desactiven" | "desativa" | "desativar"
        | "cancelem" | "supresion" | "supriman" | "eliminacao" | "eliminacion" | "take"
        | "desinscrever" | "revoke" | "saquen" | "saquenme" | "sacar" | "sacame" | "lose"
        | "excluam" | "removan" | "bloqueia" | "bloqueiem" | "bloqueen" | "block" => Remove,
        "lgpd" | "habeas" | "arco" | "ccpa" | "consent" | "consentimiento" | "autorizo"
        | "autorizacion" | "permiso" | "lfpdppp" | "privacidad" | "privacidade" | "gdpr"
        | "personales" | "pessoais" | "personal" => Privacy,
        "paz" | "alone" | "molestar" | "molesten" | "acosar" | "acosarme" | "acoso"
        | "perturbe" | "perturbar" | "jodan" | "joder" | "esquece" | "encher" | "harass"
        | "harassing" | "harassment" | "bother" | "bothering" => LeaveAlone,
        "persona" | "pessoa" | "person" | "humano" | "human" | "alguien" | "alguem" | "someone"
        | "somebody" | "anyone" | "real" | "gente" | "hueso" | "osso" => Person,
        "agente" | "agent" | "asesor" | "atendente" | "operador" | "operator" | "ejecutivo"
        | "supervisor" | "manager" | "representative" | "rep" | "encargado" | "gerente"
        | "consultor" | "analista" | "responsavel" | "gestor" | "boss" | "service" => Agent,
        "hablar" | "falar" | "talk" | "speak" | "conversar" | "atender" | "atienda" | "atiende"
        | "atendimento" | "atencion" | "comunique" | "comunica" | "reach" | "retornar"
        | "retorna" | "retorno" => Talk,
        "equivocado" | "equivocada" | "errado" | "errada" | "wrong" | "engano" | "equivoco"
        | "equivocaron" | "equivocaste" | "equivoque" | "pifiaron" | "errou" | "trocado"
        | "reassigned" | "reasignado" => Wrong,
        "murio" | "fallecio" | "faleceu" | "morreu" | "died" | "deceased" | "passed"
        | "fallecido" | "falecido" | "difunto" | "obito" | "late" | "muerto" | "morto"
        | "viuda" | "viuva" | "widow" => Died,
        "hijo" | "hija" | "esposo" | "esposa" | "papa" | "mama" | "padre" | "madre" | "filho"
        | "filha" | "marido" | "mae" | "pai" | "irmao" | "irma" | "son" | "daughter" | "wife"
        | "husband" | "mother" | "father" | "brother" | "sister" | "roommate" | "neighbor"
        | "vecina" | "vecino" | "vizinha" | "vizinho" | "ex" | "tio" | "tia" | "sobrino"
        | "sobrinho" | "abuela" | "abuelo" | "avo" | "prima" | "primo" | "cunhado"
        | "secretaria" | "empleada" | "mom" | "dad" | "grandfather" | "grandmother" => Relative,
        "conozco" | "conheco" | "know" | "conoce" | "conhece" | "sabe" | "heard" => Know,
        "numero" | "number" | "celular" | "chip" | "linea" | "linha" | "line" | "landline"
        | "inbox" | "#" | "cel" => Number,
        "nombre" | "nome" | "name" | "named" | "chamado" | "chamada" | "titular" | "holder" => Name,
        "deuda" | "divida" | "debt" | "cargo" | "charge" | "cobro" | "cobranca" | "factura"
        | "fatura" | "bill" | "invoice" | "saldo" | "prestamo" | "emprestimo" | "loan"
        | "credito" | "obligacion" => Debt,
        "cobran" | "cobrando" | "cobraron" | "cobrado" | "cobrou" | "cobraram" | "cobrar"
        | "cobra" | "charged" | "charging" | "billed" | "billing" | "facturaron" | "cobrada" => {
            Charged
        }
        "doble" | "duplicado" | "duplicada" | "twice" | "double" | "doubled" | "duplicate"
        | "doblemente" => Double,
        "cancelado" | "cancelada" | "cancelled" | "canceled" | "cancelei" | "devolvi"
        | "returned" | "rescindido" | "downgraded" | "unsubscribed" | "anule" | "retracto"
        | "cortaron" | "cortado" | "cortou" => Cancelled,
        "recibi" | "llego" | "chegou" | "received" | "delivered" | "entrego" | "entregado"
        | "entregou" | "instalada" | "instalado" | "got" | "recebi" => Received,
        "fraude" | "golpe" | "scam" | "fraud" | "clonaron" | "clonaram" | "theft" | "estafa"
        | "identity" | "ssn" | "robo" | "usaron" | "usou" | "used" => Fraud,
        "prescrita" | "prescrito" | "prescribio" | "caducou" | "statute" | "time-barred"
        | "barred" | "sol" | "prescricao" | "prescripcion" | "caduco" => Prescribed,
        "contrato" | "contract" | "validation" | "validate" | "validated" | "verify"
        | "verification" | "prove" | "demuestren" | "demuestrenme" | "detalle" | "itemized"
        | "prova" | "acreditan" | "original" | "paperwork" | "firmado" | "assinado" | "firme"
        | "assinei" | "signed" => Validate,
        "mal" | "incorrect" | "absurdo" | "abusivo" | "abusiva" | "indebido" | "indevida"
        | "indevido" | "indevidamente" | "ilegal" | "illegal" | "bogus" | "usura" | "mistake"
        | "error" | "erro" | "abusive" | "cuadra" | "bate" | "inflated" => Improper,
        "reconozco" | "reconheco" | "recognize" | "owe" | "debo" | "devo" | "debemos" | "mine"
        | "mia" | "mio" => Owe,
        "profeco" | "condusef" | "indecopi" | "procon" | "cfpb" | "ftc" | "denuncia"
        | "denuncio" | "queja" | "reclamo" | "complaint" | "abogado" | "lawyer" | "attorney"
        | "advogado" | "justica" | "demanda" | "sernac" | "sic" | "reportar" | "reporting"
        | "processo" | "judicial" | "apoderado" => Complaint,
        "comprobante" | "recibo" | "voucher" | "receipt" | "proof" | "constancia" | "captura"
        | "screenshot" | "ticket" | "operacion" | "transaction" | "confirmation"
        | "comprovante" | "autenticado" | "extrato" | "remittance" | "trace" => Receipt,
        "loteria" | "sena" | "pigs" | "sonhando" | "dreaming" | "millones" | "milhoes"
        | "magically" | "sonando" | "suenas" | "aham" | "lotto" | "lottery" => Irony,
        "hola" | "oi" | "hi" | "hello" | "hey" | "buenos" | "buenas" | "bom" | "boa" | "good"
        | "ola" | "morning" | "afternoon" | "dia" | "dias" => Greeting,
        "gracias" | "obrigado" | "obrigada" | "thanks" | "thank" | "valeu" | "agradezco" => Thanks,
        "ok" | "vale" | "listo" | "ciente" | "noted" | "cool" | "beleza" | "perfecto" | "bueno"
        | "entendi" | "entendido" | "k" | "sure" | "claro" => Okay,
        "cuanto" | "quanto" | "much" | "balance" | "monto" | "valor" | "amount" | "total" => Amount,
        "recordatorio" | "recordatorios" | "aviso" | "avisos" | "lembrete" | "lembretes"
        | "reminder" | "reminders" | "alerts" | "notificacion" | "avisandome" => Reminder,
        "prometo" | "promise" | "promesa" | "falta" | "seguro" | "certeza" | "palabra"
        | "definitely" | "juro" => Sure,
        "if" | "maybe" | "talvez" | "tratar" | "try" | "tentar" | "intentar" | "quizas"
        | "depende" => Maybe,
        _ => return more_words(word).or_else(|| concept_stem(word)),
    };
    Some(concept)
}

/// Further forms and synonyms (inflections, regional words, spellings) of the concepts above.
fn more_words(word: &str) -> Option<Concept> {
    use Concept::*;
    Some(match word {
        // Paid (past).
        "pagaba" | "pagadas" | "pagados" | "liquidado" | "liquidada" | "saldado" | "saldada"
        | "saldei" | "quitaste" | "transferencie" | "transfirio" | "transfiri" | "transferiu"
        | "transferiram" | "depositaron" | "depositou" | "consignado" | "consignamos"
        | "abonado" | "abonamos" | "cubri" | "cubrimos" | "pagaram" | "pagamo" | "quitou"
        | "quitaram" | "liquidei" | "paguey" | "covered" | "processed" | "completed"
        | "submitted" | "transferred" | "deposited" | "venmoed" | "zelled" | "cashapped"
        | "compensou" | "compensado" | "creditado" | "acreditado" | "abonei" | "pixei"
        | "fizeram" | "efetuou" | "realizou" | "realizamos" | "enviamos" => Paid,
        // Pay (now or later).
        "pagarlos" | "pagarlas" | "pagaria" | "pagaran" | "pagarian" | "pagando" | "paga"
        | "pagam" | "pagues" | "paguen" | "quitarlo" | "quitarla" | "quitarlas" | "liquidar"
        | "liquido" | "saldar" | "abonare" | "abonarle" | "depositare" | "depositarei"
        | "depositarte" | "transferire" | "transferirei" | "transfierto" | "consigno"
        | "consignar" | "consignare" | "pixo" | "pixar" | "cubrir" | "cubro" | "cover"
        | "payoff" | "pays" | "sending" | "remitir" | "efetuar" | "realizar" | "realizare"
        | "acertar" | "acertarei" | "regularizar" | "regularizo" | "ponerme" | "catch"
        | "clear" => Pay,
        // Will.
        "vai" | "vamo" | "voya" | "vo" | "i'd" | "we'd" | "planning" | "intend" | "pretendo" => {
            Will
        }
        // A time ahead.
        "manha" | "tues" | "weds" | "thurs" | "lun" | "mie" | "jue" | "vie" | "sab" | "dom"
        | "seg" | "ter" | "qua" | "qui" | "sex" | "fds" | "prox" | "siguiente" | "entrante"
        | "findes" | "navidad" | "natal" | "christmas" | "ano" | "year" | "febrero"
        | "fevereiro" | "february" | "marzo" | "marco" | "march" | "enseguida" | "ratito"
        | "horita" | "agorinha" | "logo" | "tonite" | "2nite" | "morning" | "evening"
        | "afternoon" | "tmw" | "soonest" | "semanas" | "weeks" | "days" | "mid" | "principio"
        | "principios" | "comienzo" | "comeco" | "inicio" | "beginning" | "early" | "final"
        | "finales" | "finais" | "payday's" => When,
        // A time behind.
        "antier" | "antesdeayer" | "anteayer" | "retrasado" | "previous" | "prior" | "recently"
        | "cedo" | "mornin" => Past,
        // Able.
        "puedes" | "pueden" | "podes" | "podra" | "podras" | "podrias" | "poderia" | "poderei"
        | "pode" | "podem" | "consegue" | "conseguimos" | "conseguiria" | "logro" | "lograr"
        | "alcance" | "alcanzara" | "dara" | "capable" | "manage" | "handle" | "affordable" => Able,
        // Money.
        "billete" | "biyuyo" | "varo" | "pasta" | "grana" | "bufunfa" | "dim" | "din" | "dough"
        | "bucks" | "ingresos" | "renda" | "income" | "recursos" | "pesos" | "reais" | "soles"
        | "dolares" | "dollars" | "lucas" | "luca" | "mangos" => Money,
        // Salary and money coming in.
        "quincenita" | "holerite" | "nomina" | "paycheque" | "paystub" | "wages" | "pension"
        | "jubilacion" | "aposentadoria" | "auxilio" | "bolsa" | "ssi" | "ssdi" | "decimo"
        | "prima" | "gratificacion" | "liquidacion" | "finiquito" | "ferias" | "inss" => Salary,
        // Job.
        "chamba" | "laburo" | "pega" | "jale" | "camello" | "curro" | "trampo" | "negocio"
        | "loja" | "tienda" | "clientes" | "ventas" | "vendas" | "shift" | "hours" | "horas"
        | "gig" => Job,
        // Job loss, ruin.
        "desocupado" | "desocupada" | "cesantia" | "corrieron" | "echaron" | "botaron"
        | "quebro" | "quebre" | "quebrado" | "quebrada" | "faliu" | "falencia" | "quebrou"
        | "bancarrota" | "bankrupt" | "bankruptcy" | "layoff" | "laidoff" | "furloughed"
        | "evicted" | "desalojado" | "despejado" | "broke" | "quebradao" | "zerado" | "lona"
        | "endividado" | "endeudado" | "apretado" | "apertado" | "ruina" => JobLoss,
        // Illness, accident, loss.
        "enfermedad" | "hospitalizado" | "hospitalizada" | "cirurgia" | "operado" | "operada"
        | "operation" | "chemo" | "quimio" | "quimioterapia" | "diabetes" | "covid"
        | "embarazada" | "gravida" | "pregnant" | "maternity" | "incapacidad" | "discapacidad"
        | "deficiencia" | "injured" | "lesion" | "lesao" | "recuperacion" | "recuperacao"
        | "recovering" | "inundo" | "inundacion" | "incendio" | "flood" | "robaron"
        | "assaltado" | "assalto" | "robbed" | "funeral" | "velorio" | "emergency"
        | "emergencia" | "carcel" | "preso" | "presa" | "prision" | "prisao" | "jail"
        | "prison" | "rehab" | "detenido" => Illness,
        // Plans, partial payments, agreements.
        "plazos" | "mensualidades" | "parcela" | "parcelinha" | "parcelinhas" | "prestacoes"
        | "monthly" | "mensual" | "mensal" | "poquito" | "partes" | "parte" | "part"
        | "pedacitos" | "arreglo" | "trato" | "deal" | "agreement" | "renegotiate"
        | "negotiate" | "restructure" | "reestructurar" | "refinance" | "refinanciamiento"
        | "refinanciamento" | "hardship" | "program" | "programa" => Plan,
        // Discounts and reductions.
        "descuentito" | "descontinho" | "quita" | "rebajar" | "rebajen" | "reduccion"
        | "reduzam" | "lower" | "lowest" | "cheaper" | "forgive" | "perdonar" | "perdoar"
        | "condonacion" | "anistia" | "amnistia" | "abatimento" | "exonerar" | "eliminate" => {
            Discount
        }
        // More time.
        "prorrogar" | "postergar" | "posponer" | "aplazar" | "adiar" | "prorrogacao"
        | "postpone" | "delay" | "grace" | "gracia" | "aguardar" | "esperen" | "espera"
        | "calma" | "till" | "til" | "until" | "hasta" | "ate" | "extend" | "pausar" | "pausa"
        | "congelar" => MoreTime,
        // Pay channels.
        "links" | "enlaces" | "url" | "pagina" | "page" | "aplicativo" | "application"
        | "qrcode" | "transferencias" | "ted" | "doc" | "boletos" | "guia" | "applepay"
        | "googlepay" | "mercadopago" | "mp" | "daviplata" | "efecty" | "baloto" | "rapipago"
        | "pagofacil" | "servipag" | "pagoefectivo" | "mach" | "picpay" | "nubank" | "itau"
        | "bradesco" | "santander" | "bbva" | "banamex" | "bancomer" | "interbank" | "bcp"
        | "bancolombia" | "davivienda" | "bancoestado" | "ventanilla" | "cajero" | "atm"
        | "loterica" | "debito" | "debit" | "credit" | "visa" | "mastercard" | "cheque"
        | "western" | "moneygram" | "iban" | "aba" | "sort" | "metodo" | "metodos" | "forma"
        | "formas" | "medio" | "medios" | "meio" | "meios" | "method" | "methods" => PayChannel,
        // Accounts and details.
        "cuentas" | "contas" | "accounts" | "dato" | "beneficiario" | "favorecido" | "cnpj"
        | "cpf" | "nit" | "ruc" | "cuit" | "sucursal" | "oficina" | "office" | "escritorio" => {
            Account
        }
        // How, where.
        "adonde" | "aonde" | "whereabouts" | "wat" | "wut" | "wich" | "cuales" | "quais" => {
            HowWhere
        }
        // Send me.
        "mandeme" | "mandenme" | "pasenme" | "compartan" | "comparte" | "compartir" | "enviem"
        | "envie-me" | "mandem" | "passem" | "repassa" | "reenvia" | "reenvie" | "reenvien"
        | "reenviem" | "share" | "forward" | "provide" | "dm" | "gimme" | "lemme" => SendMe,
        // Call.
        "marcarme" | "telefonear" | "telefonema" | "telefonar" | "ligue-me" | "liguem-me"
        | "llamarnos" | "ringing" | "dial" | "buzz" | "facetime" | "zoom" | "videocall"
        | "videochamada" | "llamado" | "callme" => Call,
        // Messages and channels.
        "mensajito" | "mensajitos" | "msm" | "mensagenzinha" | "torpedo" | "torpedos" | "wa"
        | "watsap" | "guasap" | "whatsap" | "mails" | "mensajeria" | "notificacion"
        | "notificacao" | "alertas" | "alerta" | "chat" | "dms" | "voicemail" | "voicemails"
        | "robocall" | "robocalls" | "letters" | "letter" => Message,
        // Contact verbs.
        "escribirme" | "escribiendo" | "escribieron" | "texteen" | "textear" | "mensajear"
        | "contatando" | "contactando" | "contactarnos" | "mandam" | "manda-me" | "enviam"
        | "chamando" | "texted" | "emailed" | "messaged" | "spamming" | "spam" | "acosando"
        | "hostigando" | "hostigar" | "assediando" | "assedio" | "persiguiendo" | "atosigando" => {
            Contact
        }
        // Stop.
        "parenle" | "cessar" | "cesse" | "halt" | "terminen" | "termina" | "acaben" | "acabem"
        | "deixem" | "stahp" => Stop,
        // Remove, unsubscribe.
        "saquenme" | "borrame" | "desinscribir" | "desinscribirme" | "desuscribanme"
        | "descadastrem" | "descadastrei" | "removeme" | "unenroll" | "unlist" | "erase"
        | "purge" | "desativem" | "cancelen" | "desabilitar" => Remove,
        // Leave me alone.
        "tranquilo" | "tranquila" | "sossego" | "molestia" | "jodiendo" | "fastidien"
        | "fastidiar" | "enchendo" | "enchem" | "incomodando" | "incomodar" | "incomodem"
        | "pestering" | "stalking" => LeaveAlone,
        // Person.
        "personas" | "pessoas" | "people" | "humana" | "humanos" | "carne" | "vivo" | "live"
        | "chica" | "chico" | "senorita" | "rapaz" | "guy" | "lady" | "woman" => Person,
        // Agents.
        "asesora" | "asesores" | "operadora" | "operadores" | "atendentes" | "agentes"
        | "agents" | "reps" | "representante" | "representantes" | "ejecutiva" | "gestora"
        | "supervisora" | "jefe" | "chefe" | "encargada" | "coordinador" | "coordenador"
        | "especialista" | "specialist" | "customer" | "soporte" | "suporte" | "support"
        | "central" | "sac" | "ouvidoria" | "departamento" | "department" | "cobranzas"
        | "financeiro" | "finanzas" => Agent,
        // Talk.
        "hablemos" | "hablarlo" | "conversemos" | "platicar" | "charlar" | "falemos"
        | "conversa" | "papo" | "speaking" | "talking" | "discuss" | "explain" | "explique"
        | "explicar" | "expliquen" | "explicarme" | "atiendan" | "atenda" | "atendam"
        | "comuniquen" | "comunicarme" | "comuniquem" | "retornen" | "retornem" | "contestar"
        | "responder" | "respond" | "answer" => Talk,
        // Wrong.
        "equivocados" | "equivocadas" | "errados" | "erradas" | "erroneo" | "incorrecto"
        | "incorreto" | "mistaken" | "confundieron" | "confundiram" | "confundido" | "confused" => {
            Wrong
        }
        // Died.
        "muerte" | "morte" | "death" | "dead" | "fallecimiento" | "falecimento" | "finado"
        | "finada" | "difunta" | "qepd" | "descanse" | "perished" | "faleceram" | "murieron"
        | "fallecieron" | "falleci" | "sepelio" | "enterro" | "burial" | "passing" => Died,
        // Relatives and others.
        "hermano" | "hermana" | "cunado" | "cunada" | "suegra" | "suegro" | "nieto" | "nieta"
        | "neto" | "neta" | "sobrina" | "sobrinha" | "madrasta" | "padrasto" | "padrastro"
        | "madrastra" | "novio" | "novia" | "namorado" | "namorada" | "boyfriend"
        | "girlfriend" | "ex-esposo" | "exesposa" | "ex-marido" | "exmarido" | "companero"
        | "companeira" | "coworker" | "colega" | "patron" | "patrao" | "inquilino"
        | "inquilina" | "tenant" | "landlord" | "dueno" | "dono" | "roomie" | "grandma"
        | "grandpa" | "aunt" | "uncle" | "nephew" | "niece" | "cousin" | "stepson"
        | "stepdaughter" | "sibling" | "kid" | "kids" | "hijos" | "filhos" | "children"
        | "child" | "baby" | "bebe" => Relative,
        // Know.
        "conocemos" | "conhecemos" | "sabemos" | "sei" | "knows" | "known" | "idea" | "ideia"
        | "clue" => Know,
        // Numbers and lines.
        "numeros" | "fone" | "tel" | "movil" | "movel" | "celu" | "cell" | "cellphone"
        | "mobile" | "lineas" | "buzon" => Number,
        // Names.
        "nombres" | "nomes" | "names" | "apellido" | "sobrenome" | "surname" | "llamo"
        | "llama" | "chamo" | "chama" | "owner" | "propietario" | "proprietario" => Name,
        // Debts and bills.
        "deudas" | "dividas" | "debts" | "cargos" | "charges" | "cobros" | "cobrancas"
        | "facturas" | "faturas" | "bills" | "invoices" | "mensalidade" | "mensualidad"
        | "colegiatura" | "matricula" | "tuition" | "multa" | "fee" | "fees" | "interes"
        | "intereses" | "interest" | "juros" | "mora" | "atraso" | "statement" | "extracto" => Debt,
        // Charged.
        "cobrandome" | "cobrarme" | "overcharged" | "overcharge" | "invoiced" | "facturado"
        | "faturado" | "faturaram" | "descontaron" | "debitaron" | "debitaram" | "sacaron"
        | "tiraram" => Charged,
        // Double.
        "duplicados" | "duplicadas" | "duplicidade" | "dobrado" | "dobro" | "duplo"
        | "double-charged" => Double,
        // Cancelled.
        "cancelou" | "cancelaron" | "cancelaram" | "anulado" | "anulada" | "anulei"
        | "rescindi" | "devolucion" | "devolucao" | "devolvido" | "devolvida" | "return"
        | "refunded" | "reembolso" | "estorno" | "chargeback" | "closed" | "cerre" | "cerrada"
        | "cerrado" | "encerrei" | "encerrada" | "encerrado" | "baixa" | "ended" | "downgrade"
        | "portabilidad" => Cancelled,
        // Received (or not).
        "recibido" | "recibida" | "recebido" | "recebida" | "llegaron" | "chegaram" | "arrived"
        | "shipped" | "entregaron" | "entregaram" | "entrega" | "delivery" | "instalaron"
        | "instalaram" | "funciono" | "funcionou" | "funciona" | "worked" | "usado" | "usei"
        | "use" | "consumi" | "consumo" | "usage" | "servicio" | "servico" | "producto"
        | "produto" | "product" => Received,
        // Fraud.
        "fraudulento" | "fraudulenta" | "fraudulent" | "estafadores" | "golpistas" | "scammer"
        | "scammers" | "suplantacion" | "suplantaron" | "clonado" | "clonada" | "clonagem"
        | "hackearon" | "hackeado" | "hacked" | "stolen" | "robada" | "robado" | "roubado"
        | "roubada" => Fraud,
        // Time-barred.
        "prescribe" | "prescreveu" | "caducada" | "caducado" | "caduca" | "limitations"
        | "limitation" => Prescribed,
        // Validation.
        "contratos" | "contracts" | "pruebas" | "prueba" | "provas" | "evidence"
        | "documentacion" | "documentacao" | "documentation" | "documentos" | "documents"
        | "copia" | "copy" | "desglose" | "breakdown" | "itemization" | "verificar"
        | "verifiquen" | "comprobar" | "comprueben" | "justifiquen" | "demonstrem"
        | "comprovem" | "mostrem" | "muestren" | "demostrar" | "show" | "firmo" | "assinatura"
        | "firma" | "signature" | "autorice" | "autorizei" | "authorized" => Validate,
        // Improper.
        "malo" | "mala" | "inflado" | "exagerado" | "excesivo" | "excessivo" | "abuso"
        | "absurda" | "ridiculo" | "ridiculous" | "unfair" | "injusto" | "injusta" | "indebida"
        | "irregular" | "ilegitimo" | "ilegitima" | "unauthorized" | "corresponde" | "coincide"
        | "confere" | "match" | "matches" | "discrepancy" | "diferencia" | "diferenca"
        | "inaccurate" | "erroneous" | "typo" | "glitch" => Improper,
        // Owe.
        "owes" | "owed" | "owing" | "adeudo" | "reconocemos" | "reconhece" | "recognise"
        | "acknowledge" => Owe,
        // Complaints and lawyers.
        "demandar" | "demando" | "demandarlos" | "processar" | "sue" | "suing" | "lawsuit"
        | "court" | "tribunal" | "juez" | "juiz" | "juzgado" | "fiscalia" | "policia"
        | "police" | "reclamacao" | "reclamar" | "quejarme" | "denunciar" | "denunciarlos"
        | "report" | "reported" | "bbb" | "ombudsman" | "defensoria" | "consumidor"
        | "consumer" | "legal" | "lei" | "ley" | "law" | "derecho" | "direito" | "rights"
        | "advogada" | "abogada" | "juridico" | "juridica" | "fdcpa" | "fcra" | "cdc"
        | "senacon" | "reclameaqui" => Complaint,
        // Receipts and proof of payment.
        "boleta" | "baucher" | "vaucher" | "pantallazo" | "print" | "printscreen" | "foto"
        | "photo" | "pic" | "attached" | "adjunto" | "adjunta" | "anexo" | "anexado" | "segue"
        | "folio" | "nsu" | "protocolo" | "confirmacion" | "confirmacao" | "ref" | "reference"
        | "tracking" => Receipt,
        // Irony, mockery.
        "ajam" | "uhum" | "millonario" | "milionario" | "millionaire" | "powerball"
        | "quiniela" | "megasena" | "loto" | "raspadinha" | "unicorn" | "unicornio" | "yate"
        | "yacht" | "vuelen" | "freezes" | "milagro" | "milagre" | "miracle" | "sonhe"
        | "suenes" | "lambo" | "ferrari" | "ranas" | "suenos" | "dreams" | "breath" | "sentado"
        | "luck" | "sacanagem" | "pau" | "ferrando" => Irony,
        // Greetings.
        "buen" | "holi" | "holis" | "holaa" | "oie" | "oii" | "alo" | "hiya" | "howdy" | "sup"
        | "saludos" | "saudacoes" | "estimados" | "estimado" | "prezados" | "prezado"
        | "prezada" | "dear" | "hallo" | "tardes" | "noches" => Greeting,
        // Thanks.
        "grax" | "muchas" | "obg" | "brigado" | "brigada" | "vlw" | "thx" | "ty" | "tks"
        | "appreciate" | "agradecido" | "agradecida" | "agradeco" | "amable" | "gentil"
        | "kind" => Thanks,
        // Okay.
        "okey" | "oki" | "okis" | "dale" | "va" | "sale" | "bien" | "blz" | "fechado"
        | "combinado" | "entiendo" | "alright" | "roger" | "understood" | "ack" | "yep" | "yup"
        | "yes" | "sip" | "simon" => Okay,
        // Amounts.
        "cuanta" | "quantos" | "howmuch" | "suma" | "importe" | "valores" | "montos"
        | "amounts" => Amount,
        // Reminders.
        "recordar" | "recordarme" | "lembrar" | "lembrando" | "remind" | "reminding" | "notify"
        | "notificar" | "avisar" | "avisen" | "avisarme" | "aviseme" | "avisem" | "avisa"
        | "alertar" => Reminder,
        // Promises.
        "prometemos" | "promised" | "compromiso" | "compromisso" | "compromete" | "comprometo"
        | "garantizo" | "garanto" | "guarantee" | "definitivamente" | "segurisimo" | "certo"
        | "certinho" | "confia" | "confie" | "trust" | "palavra" | "word" | "totally"
        | "absolutely" | "ojala" | "tomara" => Sure,
        // Thinking it over.
        "think" | "thinking" | "pensar" | "pensarlo" | "pensando" | "penso" | "pensare"
        | "vejo" | "veo" | "verei" | "vere" | "considerar" | "consider" | "considering"
        | "analizar" | "analisar" | "decide" | "decidir" => Consider,
        // Maybe, conditions.
        "quiza" | "acaso" | "capaz" | "probably" | "probablemente" | "provavelmente"
        | "perhaps" | "might" | "possibly" | "posiblemente" | "possivelmente" | "unless"
        | "caso" | "dependendo" | "dependiendo" | "depends" | "hopefully" | "intentare"
        | "tentarei" | "trying" => Maybe,
        _ => return None,
    })
}

/// Concepts found by a stem (verb forms, long words).
fn concept_stem(word: &str) -> Option<Concept> {
    use Concept::*;
    if word.len() < 5 {
        return None;
    }
    if any_prefix(
        word,
        &["desuscri", "descadastr", "unsubscri", "darse de baja"],
    ) {
        return Some(Remove);
    }
    if any_prefix(word, &["llam", "ligu", "ligar", "telefon"]) {
        return Some(Call);
    }
    if any_prefix(word, &["desemple", "desempreg", "despid", "demiti"]) {
        return Some(JobLoss);
    }
    if any_prefix(word, &["fallec", "falec"]) {
        return Some(Died);
    }
    if any_prefix(word, &["equivoc"]) {
        return Some(Wrong);
    }
    if any_prefix(word, &["prescri"]) {
        return Some(Prescribed);
    }
    if any_prefix(word, &["parcel", "refinanc", "renegoci", "negoci"]) {
        return Some(Plan);
    }
    if any_prefix(word, &["comprob", "comprov"]) {
        return Some(Receipt);
    }
    if any_prefix(word, &["escrib"]) {
        return Some(Contact);
    }
    if any_prefix(word, &["contact", "contat"]) {
        return Some(Contact);
    }
    if any_prefix(word, &["cobr"]) {
        return Some(Charged);
    }
    // Past tenses by their endings (accents are gone, so Spanish "-é"/"-ó" cannot be seen).
    let pt_past = word.ends_with("ei") || word.ends_with("ou") && !word.ends_with("sou");
    let en_past = word.ends_with("ed") && !word.ends_with("eed") && !word.ends_with("need");
    let es_past = word.ends_with("aron") || word.ends_with("ieron") || word.ends_with("aste");
    if pt_past || en_past || es_past {
        return Some(PastVerb);
    }
    None
}

/// The concept of two consecutive words, when the pair means more than its words.
pub fn phrase(lang: Lang, first: &str, second: &str) -> Option<Concept> {
    use Concept::*;
    Some(match (lang, first, second) {
        (Lang::En, "passed", "away") | (Lang::En, "passed", "in") => Died,
        (Lang::En, "laid", "off") | (Lang::En, "lost", "job") => JobLoss,
        (Lang::Es, "sin", "trabajo" | "empleo") | (Lang::Pt, "sem", "emprego" | "trabalho") => {
            JobLoss
        }
        (Lang::En, "opt", "out") => Remove,
        (Lang::Es, "de", "baja") | (Lang::Es, "dar", "baja") => Remove,
        (Lang::Es, "en", "paz") | (Lang::Pt, "em", "paz") => LeaveAlone,
        (Lang::En, "leave", "me") => LeaveAlone,
        (Lang::Es, "dejen", "de") | (Lang::Es, "deja", "de") | (Lang::Pt, "para", "de") => Stop,
        (Lang::En, "call", "me") | (Lang::Pt, "me", "liga" | "ligue" | "ligar") => Call,
        (Lang::Es, "mega", _) | (Lang::Pt, "mega", "sena") => Irony,
        (Lang::En, "pigs", "fly") | (Lang::Pt, "sao", "nunca") | (Lang::Es, "de", "nunca") => Irony,
        (Lang::Es, "sin", "falta") | (Lang::Pt, "sem", "falta") | (Lang::En, "for", "sure") => Sure,
        (Lang::Es, "que", "viene") | (Lang::Pt, "que", "vem") => When,
        (Lang::Es, "de", "acuerdo") => Okay,
        (Lang::En, "habeas" | "protecao", _) => Privacy,
        (Lang::Es, "habeas", "data") | (Lang::Pt, "protecao", "dados") => Privacy,
        (Lang::En, "how", "much") => Amount,
        (
            _,
            "feliz" | "felices" | "felicidades" | "merry" | "happy" | "boas" | "boa" | "bom",
            "navidad" | "christmas" | "natal" | "ano" | "year" | "thanksgiving" | "festas"
            | "fiestas" | "holidays" | "pascua" | "pascoa" | "easter" | "dia",
        ) => Greeting,
        (_, "acabei" | "acabo" | "acabamos" | "just", "de" | "paid" | "pague" | "sent") => Paid,
        (Lang::Es, "dos" | "2", "veces") | (Lang::Pt, "duas" | "2", "vezes") => Double,
        (Lang::Pt, "foi" | "ja", "feito" | "feita" | "realizado" | "efetuado" | "quitado") => Paid,
        (Lang::Es, "se", "hizo" | "realizo" | "efectuo" | "pago") => Paid,
        (Lang::Pt, "foi" | "ta" | "esta" | "ja" | "tah", "pago" | "paga") => Paid,
        (Lang::Es, "esta" | "ya" | "fue", "pagado" | "pagada") => Paid,
        (Lang::En, "no", "longer") => Neg,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_meaning_in_three_languages() {
        assert_eq!(concept(Lang::Es, "pague"), Some(Concept::Paid));
        assert_eq!(concept(Lang::Pt, "paguei"), Some(Concept::Paid));
        assert_eq!(concept(Lang::En, "paid"), Some(Concept::Paid));
        assert_eq!(concept(Lang::Es, "llamenme"), Some(Concept::Call));
        assert_eq!(concept(Lang::Pt, "liguem"), Some(Concept::Call));
        assert_eq!(concept(Lang::En, "call"), Some(Concept::Call));
        assert_eq!(concept(Lang::Pt, "para"), Some(Concept::Stop));
        assert_eq!(concept(Lang::Es, "para"), None);
        assert_eq!(phrase(Lang::En, "passed", "away"), Some(Concept::Died));
        assert_eq!(concept(Lang::Es, "desuscribirme"), Some(Concept::Remove));
    }
}
