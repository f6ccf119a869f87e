//! Special category data (health, ethnicity, religion, sexual orientation,
//! criminal records) and its look-alikes: an equalities monitoring export
//! and support notes. Written only with [`super::Options::special`], from
//! their own random stream, so the rest of the drive is the same with or
//! without them.
//!
//! Labels: a monitoring column's whole answer, except those that reveal
//! nothing ("Prefer not to say", "None", empty); in running text, the
//! revealing words ("type 2 diabetes", "a caution for shoplifting"). The
//! look-alikes (a clinic's opening hours, a mosque's car park, a leaflet on
//! anxiety, the magistrates' court) are not labelled.

use super::people::Person;
use super::rng::Rng;
use super::txt::mention;
use super::values::Date;
use super::{Cat, Ctx, Line};

/// Answers to the monitoring form's questions, as forms print them.
const ETHNICITY: &[&str] = &[
    "White British",
    "White - English, Welsh, Scottish, Northern Irish or British",
    "White Irish",
    "Gypsy or Irish Traveller",
    "Roma",
    "Any other White background",
    "Mixed - White and Black Caribbean",
    "Mixed - White and Asian",
    "Asian or Asian British - Indian",
    "Asian or Asian British - Pakistani",
    "Bangladeshi",
    "Chinese",
    "Black or Black British - African",
    "Black Caribbean",
    "Arab",
    "Other: Nepali",
];
const RELIGION: &[&str] =
    &["No religion", "Christian", "Roman Catholic", "Muslim", "Hindu", "Sikh", "Jewish", "Buddhist", "Other: Pagan"];
const ORIENTATION: &[&str] = &["Straight / heterosexual", "Gay or lesbian", "Bisexual", "Other: asexual", "Pansexual"];
const DISABILITY: &[&str] = &["Yes", "Yes - wheelchair user", "Learning disability", "Deaf", "Long-term condition"];
const CONVICTIONS: &[&str] = &["Yes", "Drink driving 2021", "Caution - theft", "Spent conviction"];
/// Answers that reveal nothing: not labelled.
const NOT_STATED: &[&str] = &["Prefer not to say", "Prefer not to say", "None", "N/A", "", "No"];

/// Conditions, medicines and so on, in running text.
const CONDITIONS: &[&str] = &[
    "type 2 diabetes",
    "type 1 diabetes",
    "asthma",
    "epilepsy",
    "COPD",
    "depression",
    "anxiety",
    "bipolar disorder",
    "schizophrenia",
    "dementia",
    "breast cancer",
    "multiple sclerosis",
    "Parkinson's disease",
    "PTSD",
    "autism",
    "HIV",
    "heart failure",
    "arthritis",
];
const MEDICINES: &[&str] =
    &["sertraline", "insulin", "metformin", "methadone", "fluoxetine", "warfarin", "lithium", "salbutamol"];
const ETHNIC_WORDS: &[&str] = &[
    "White British",
    "Black Caribbean",
    "Black African",
    "British Pakistani",
    "Bangladeshi",
    "Indian",
    "mixed race",
    "Irish Traveller",
    "Roma",
    "Chinese",
];
const FAITHS: &[&str] = &["Muslim", "Hindu", "Sikh", "Jewish", "Roman Catholic", "Buddhist", "Christian"];
const ORIENTATIONS: &[&str] = &["gay", "lesbian", "bisexual"];
const OFFENCES: &[&str] =
    &["shoplifting", "theft", "burglary", "common assault", "criminal damage", "benefit fraud", "drink driving"];

/// A form answer cell: labelled unless it reveals nothing.
fn answer(cat: Cat, rng: &mut Rng, answers: &[&str]) -> Line {
    if rng.chance(30) {
        let v = *rng.pick(NOT_STATED);
        return Line::new().t(v);
    }
    Line::new().v(cat, *rng.pick(answers))
}

pub const MONITORING_HEADER: [&str; 8] = [
    "Ref",
    "Age band",
    "Ethnicity",
    "Religion or belief",
    "Sexual orientation",
    "Disability",
    "Unspent convictions",
    "Comments",
];

/// The volunteers' form, with other headers and answers.
pub const VOLUNTEER_HEADER: [&str; 6] =
    ["Volunteer ref", "Ethnic group", "Religion", "Sexuality", "Medical conditions", "Convictions"];
const MEDICAL: &[&str] = &["Asthma", "Type 1 diabetes; coeliac", "Epilepsy (controlled)", "Hearing loss", "ADHD"];
const CONVICTED: &[&str] =
    &["Yes - see DBS", "Possession of cannabis (2016)", "Speeding fine only", "Conditional discharge"];

fn volunteers(ctx: &mut Ctx, rng: &mut Rng) -> Vec<u8> {
    let rows: Vec<Vec<Line>> = (0..25 * ctx.scale)
        .map(|i| {
            vec![
                Line::new().t(format!("V{:03}", 10 + i)),
                answer(Cat::Ethnicity, rng, &ETHNICITY[..8]),
                answer(Cat::Religion, rng, RELIGION),
                answer(Cat::SexualOrientation, rng, ORIENTATION),
                answer(Cat::Health, rng, MEDICAL),
                answer(Cat::CriminalRecord, rng, CONVICTED),
            ]
        })
        .collect();
    super::csv::table(ctx, "Volunteers/equalities.csv", ',', &VOLUNTEER_HEADER, &rows)
}

/// The equalities monitoring export: anonymous rows, every answer that says
/// something labelled.
fn monitoring(ctx: &mut Ctx, rng: &mut Rng) -> Vec<u8> {
    let rows: Vec<Vec<Line>> = (0..40 * ctx.scale)
        .map(|i| {
            let comment = match rng.below(4) {
                0 => Line::new().t("Form returned by post"),
                1 => Line::new().t("Leaflet on anxiety given"),
                _ => Line::new(),
            };
            vec![
                Line::new().t(format!("EQ-{:04}", 100 + i)),
                Line::new().t(*rng.pick(&["18-24", "25-34", "35-44", "45-54", "55-64", "65+"])),
                answer(Cat::Ethnicity, rng, ETHNICITY),
                answer(Cat::Religion, rng, RELIGION),
                answer(Cat::SexualOrientation, rng, ORIENTATION),
                answer(Cat::Health, rng, DISABILITY),
                answer(Cat::CriminalRecord, rng, CONVICTIONS),
                comment,
            ]
        })
        .collect();
    super::csv::table(ctx, "Equalities/monitoring-2024.csv", ',', &MONITORING_HEADER, &rows)
}

fn pron(p: &Person) -> &'static str {
    if p.female { "She" } else { "He" }
}

/// A sentence revealing special category data about client `c`.
fn revealing(c: &Person, rng: &mut Rng) -> Line {
    let who = |rng: &mut Rng| if rng.chance(60) { mention(c, rng) } else { Line::new().t(pron(c)) };
    let month = *rng.pick(&["January", "March", "May", "July", "September", "November"]);
    match rng.below(16) {
        14 | 15 => {
            mention(c, rng).t(" is ").v(Cat::SexualOrientation, *rng.pick(ORIENTATIONS)).t(" and lives with a partner.")
        }
        0 => who(rng).t(" was diagnosed with ").v(Cat::Health, *rng.pick(CONDITIONS)).t(format!(" in {month}.")),
        1 => who(rng).t(" takes ").v(Cat::Health, *rng.pick(MEDICINES)).t(" every morning."),
        2 => who(rng).t(" has ").v(Cat::Health, *rng.pick(CONDITIONS)).t(" and finds stairs hard."),
        3 => Line::new()
            .t("Client disclosed ")
            .t(if c.female { "she is " } else { "his partner is " })
            .v(Cat::Health, "pregnant")
            .t("."),
        4 => who(rng)
            .t(" describes ")
            .t(if c.female { "herself" } else { "himself" })
            .t(" as ")
            .v(Cat::Ethnicity, *rng.pick(ETHNIC_WORDS)),
        5 => mention(c, rng).t(" is ").v(Cat::Ethnicity, *rng.pick(ETHNIC_WORDS)).t(" and speaks English at home."),
        6 => who(rng).t(" is a practising ").v(Cat::Religion, *rng.pick(FAITHS)).t("."),
        7 => {
            mention(c, rng).t(" is ").v(Cat::Religion, *rng.pick(FAITHS)).t(" and asked for a halal or kosher option.")
        }
        8 => who(rng).t(" came out as ").v(Cat::SexualOrientation, *rng.pick(ORIENTATIONS)).t(format!(" in {month}.")),
        9 => {
            let offence = *rng.pick(OFFENCES);
            who(rng).t(" disclosed ").v(Cat::CriminalRecord, format!("a caution for {offence}")).t(".")
        }
        10 => who(rng).t(" is ").v(Cat::CriminalRecord, "on probation").t(format!(" until {month}.")),
        11 => {
            let offence = *rng.pick(OFFENCES);
            who(rng).t(" was ").v(Cat::CriminalRecord, format!("convicted of {offence}")).t(" in 2019.")
        }
        12 => who(rng).t(" has ").v(Cat::CriminalRecord, "an unspent conviction").t(" and needs a basic DBS check."),
        _ => {
            who(rng).t(" is on ").v(Cat::Health, *rng.pick(MEDICINES)).t(" for ").v(Cat::Health, *rng.pick(CONDITIONS))
        }
    }
}

/// A sentence with the same words about a place, service, event or
/// document: nothing to label.
fn look_alike(rng: &mut Rng) -> Line {
    let cond = *rng.pick(CONDITIONS);
    let date = Date::random(rng, 2024, 2025).long();
    let text = match rng.below(12) {
        0 => format!("The {cond} clinic is open Monday to Friday, 9am to 5pm."),
        1 => format!("Leaflets on {cond} are in the waiting room."),
        2 => format!("{} Awareness Week starts on {date}.", capitalise(cond)),
        3 => "The mosque car park will be closed on Friday for resurfacing.".to_string(),
        4 => format!("Chinese New Year lunch at the hall on {date}."),
        5 => "The hearing is at the magistrates' court on Tuesday; the office is closed.".to_string(),
        6 => "Volunteers from the Sikh gurdwara served lunch after the service.".to_string(),
        7 => format!("Please use caution on the icy steps until {date}."),
        8 => "Read our policy on recruiting people with convictions before the panel.".to_string(),
        9 => "The Caribbean community centre hosts the lunch club on Thursdays.".to_string(),
        10 => format!("We ran a {cond} awareness workshop for parents on {date}."),
        _ => "The Methodist church hall is booked for the AGM.".to_string(),
    };
    Line::new().t(text)
}

fn capitalise(s: &str) -> String {
    let mut cs = s.chars();
    cs.next().map(|f| f.to_uppercase().chain(cs).collect()).unwrap_or_default()
}

/// Support notes: one file per client, revealing sentences mixed with look-alikes.
fn notes(ctx: &mut Ctx, rng: &mut Rng, files: &mut Vec<(String, Vec<u8>)>) {
    let n = (20 * ctx.scale).min(ctx.pool.clients.len());
    for k in 0..n {
        let ci = (k * 7 + 3) % ctx.pool.clients.len();
        let c = ctx.pool.clients[ci].clone();
        let path = format!("Clients/support-notes/S{}.txt", c.id);
        let mut lines = vec![Line::new().t("Support notes (confidential)")];
        for _ in 0..4 + rng.below(4) {
            lines.push(if rng.chance(55) { revealing(&c, rng) } else { look_alike(rng) });
        }
        let text: String = lines.iter().map(|l| format!("{}\n", l.text)).collect();
        ctx.label_lines(&path, &lines, |i| format!("line {}", i + 1));
        files.push((path, text.into_bytes()));
    }
}

/// Writes the monitoring export and the support notes.
pub fn write_all(ctx: &mut Ctx, files: &mut Vec<(String, Vec<u8>)>) {
    let mut rng = ctx.rng.fork(0x5350_4543);
    let csv = monitoring(ctx, &mut rng);
    files.push(("Equalities/monitoring-2024.csv".to_string(), csv));
    let csv = volunteers(ctx, &mut rng);
    files.push(("Volunteers/equalities.csv".to_string(), csv));
    notes(ctx, &mut rng, files);
}
