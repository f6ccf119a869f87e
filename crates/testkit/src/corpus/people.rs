//! The pool of people a corpus is about: clients, volunteers, staff and
//! referrers, each with a full set of identifiers. The same person recurs
//! across files, as in a real shared drive.

use super::rng::Rng;
use super::values::{self, Date};

const FIRST_NAMES: &str = include_str!("names/first_names.txt");
const SURNAMES: &str = include_str!("names/surnames.txt");

/// Name groups (tags in the name files) with their weights in the pool.
const GROUPS: &[(&str, usize)] =
    &[("gb", 40), ("ie", 7), ("pl", 8), ("ro", 5), ("in", 9), ("pk", 8), ("ng", 7), ("gh", 5), ("ke", 3), ("zh", 4)];

/// Words the templates use with a capital letter (places, organisations,
/// streets, months): a person with such a name would make the labels ambiguous.
pub const RESERVED: &[&str] = &[
    "Maidstone",
    "Ashford",
    "Canterbury",
    "Kent",
    "Medway",
    "Dover",
    "Margate",
    "Ramsgate",
    "Chatham",
    "Rochester",
    "Gillingham",
    "Folkestone",
    "Tonbridge",
    "Dartford",
    "Gravesend",
    "Bromley",
    "London",
    "Sittingbourne",
    "Wells",
    "Tunbridge",
    "Weald",
    "Swale",
    "Stour",
    "Valley",
    "Age",
    "Council",
    "County",
    "Advice",
    "Citizens",
    "Trust",
    "Young",
    "Carers",
    "Carer",
    "Support",
    "Family",
    "Worker",
    "Officer",
    "Manager",
    "Coordinator",
    "Mill",
    "Church",
    "Station",
    "High",
    "Park",
    "Victoria",
    "Queen",
    "King",
    "Orchard",
    "Hop",
    "Oast",
    "Chapel",
    "School",
    "Bank",
    "Green",
    "Hill",
    "Brook",
    "Forge",
    "Rose",
    "Beech",
    "Meadow",
    "Castle",
    "Bridge",
    "Water",
    "West",
    "North",
    "South",
    "East",
    "May",
    "June",
    "July",
    "August",
    "April",
    "March",
    "January",
    "Monday",
    "Friday",
    "Sunday",
    "Lane",
    "Road",
    "Street",
    "Avenue",
    "Close",
    "Court",
    "Drive",
    "Way",
    "Gardens",
    "Crescent",
    "Place",
    "Grove",
    "Terrace",
    "Mobile",
    "Email",
    "Phone",
    "Client",
    "Notes",
    "Dear",
    "Date",
    "Best",
    "Hope",
    "Faith",
    "Grace",
    "Will",
    "Tel",
    "Team",
    "Health",
    "Surgery",
    "Practice",
    "Academy",
    "College",
    "Primary",
    "Village",
    "Heath",
    "Pharmacy",
    "Ward",
    "Home",
    "Welcome",
    "Sharp",
    "Fair",
    "Bright",
    "Wise",
    "Ash",
    "Oak",
    "Elm",
    "Lime",
    "Long",
    "Cross",
    "Holly",
    "Ivy",
    "Abbey",
    "Dale",
    "Vale",
    "Field",
    "Well",
    "Little",
    "Ali",
    "Nur",
    "Joy",
    "Bliss",
    "Love",
    "Mark",
    "Rich",
    "Frank",
    "Guy",
    "Jack",
    "Bill",
    "Grant",
    "Page",
    "Law",
    "Short",
    "Strong",
    "Best",
    "Able",
    "Ford",
];

/// Street names for addresses (the types come from [`STREET_TYPES`]).
const STREETS: &[&str] = &[
    "Mill",
    "Church",
    "Station",
    "Victoria",
    "Orchard",
    "Hop Garden",
    "Oast",
    "Chapel",
    "Park",
    "Beech",
    "Meadow",
    "Castle",
    "Bridge",
    "Forge",
    "Rose",
    "Holly",
    "Ivy",
    "Abbey",
    "Hillside",
    "Brookfield",
    "Sandling",
    "Tonbridge",
    "Boxley",
    "Loose",
    "Bearsted",
    "Wincheap",
    "Kingsmead",
    "Beaver",
    "Godinton",
    "Willesborough",
    "Faversham",
];
const STREET_TYPES: &[&str] = &[
    "Road", "Street", "Lane", "Avenue", "Close", "Court", "Drive", "Way", "Gardens", "Crescent", "Place", "Grove",
    "Terrace",
];
const PROVIDERS: &[&str] = &[
    "gmail.com",
    "hotmail.co.uk",
    "outlook.com",
    "yahoo.co.uk",
    "btinternet.com",
    "icloud.com",
    "live.co.uk",
    "sky.com",
];

/// The first words and house types of house names (the words are in
/// [`RESERVED`], so no one in the corpus is called by them).
const HOUSE_WORDS: &[&str] = &[
    "Rose", "Holly", "Ivy", "Beech", "Oak", "Ash", "Orchard", "Meadow", "Hop", "Brook", "Little", "Green", "Elm",
    "Well",
];
const HOUSE_TYPES: &[&str] = &["Cottage", "House", "Farm", "Lodge", "Barn", "Villa", "Bungalow", "Oast"];
/// What "The Old ..." houses were.
const OLD_HOUSES: &[&str] =
    &["Rectory", "Vicarage", "Forge", "Bakery", "Dairy", "School House", "Post Office", "Chapel"];

/// A house name: `Rose Cottage`, `Little Oak Farm`, `The Old Forge`.
fn house_name(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => format!("The Old {}", rng.pick(OLD_HOUSES)),
        1 => {
            let (first, second) = (rng.pick(HOUSE_WORDS), rng.pick(HOUSE_WORDS));
            let second = if first == second { "Tree" } else { second };
            format!("{first} {second} {}", rng.pick(HOUSE_TYPES))
        }
        _ => format!("{} {}", rng.pick(HOUSE_WORDS), rng.pick(HOUSE_TYPES)),
    }
}

/// What a person is to the charity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Client,
    Volunteer,
    Staff,
    Referrer,
}

/// A relative or friend recorded as next of kin / carer.
#[derive(Debug, Clone)]
pub struct Kin {
    pub first: String,
    pub surname: String,
    pub relation: &'static str,
    /// National digits.
    pub phone: String,
}

impl Kin {
    pub fn full(&self) -> String {
        format!("{} {}", self.first, self.surname)
    }
}

/// One person and every identifier the corpus may write for them.
#[derive(Debug, Clone)]
pub struct Person {
    pub role: Role,
    pub id: u32,
    pub first: String,
    pub surname: String,
    pub female: bool,
    pub title: &'static str,
    pub dob: Date,
    /// Compact form `AB123456C`.
    pub nino: String,
    /// Ten plain digits.
    pub nhs: String,
    /// National digits.
    pub mobile: String,
    pub landline: Option<String>,
    pub email: String,
    pub house: u32,
    /// A house name given instead of the number: `Rose Cottage`.
    pub house_name: Option<String>,
    /// Street name and type: `Mill Lane`.
    pub street: String,
    pub town: &'static str,
    /// Canonical `ME14 2AB`.
    pub postcode: String,
    pub sort_code: String,
    pub account: String,
    pub card: Option<String>,
    pub kin: Kin,
    /// Job title (staff and referrers) or volunteer role.
    pub job: &'static str,
    /// Employer of a referrer (surgery, school), empty for others.
    pub org: &'static str,
}

impl Person {
    pub fn full(&self) -> String {
        format!("{} {}", self.first, self.surname)
    }
    /// `12 Mill Lane`, or `Rose Cottage, Mill Lane` for a house with a name.
    pub fn street_line(&self) -> String {
        match &self.house_name {
            Some(name) => format!("{name}, {}", self.street),
            None => format!("{} {}", self.house, self.street),
        }
    }
    /// True when the name needs no encoding in a mail header.
    pub fn ascii(&self) -> bool {
        self.full().is_ascii()
    }
}

/// Names loaded from the bundled lists: (group, sex, name) and (group, name).
pub struct Names {
    first: Vec<(&'static str, &'static str, &'static str)>,
    last: Vec<(&'static str, &'static str)>,
}

impl Names {
    pub fn load() -> Names {
        let ok = |n: &str| !RESERVED.contains(&n);
        let first = FIRST_NAMES
            .lines()
            .filter_map(|l| {
                let mut f = l.split('\t');
                Some((f.next()?, f.next()?, f.next()?))
            })
            .filter(|t| ok(t.2))
            .collect();
        let last = SURNAMES.lines().filter_map(|l| l.split_once('\t')).filter(|t| ok(t.1)).collect();
        Names { first, last }
    }

    fn group(rng: &mut Rng) -> &'static str {
        let total: usize = GROUPS.iter().map(|g| g.1).sum();
        let mut n = rng.below(total);
        for (g, w) in GROUPS {
            if n < *w {
                return g;
            }
            n -= w;
        }
        "gb"
    }

    /// A (first name, surname, female) of one heritage; a few mixed.
    pub fn draw(&self, rng: &mut Rng) -> (String, String, bool) {
        let g = Self::group(rng);
        let female = rng.chance(55);
        let sex = if female { "f" } else { "m" };
        let firsts: Vec<_> = self.first.iter().filter(|t| t.0 == g && (t.1 == sex || t.1 == "u")).collect();
        let sg = if rng.chance(10) { "gb" } else { g };
        let lasts: Vec<_> = self.last.iter().filter(|t| t.0 == sg).collect();
        let first = if firsts.is_empty() { "Sam" } else { rng.pick(&firsts).2 };
        let last = if lasts.is_empty() { "Smith" } else { rng.pick(&lasts).1 };
        (first.to_string(), last.to_string(), female)
    }
}

/// A personal email address made from a name.
fn personal_email(first: &str, last: &str, dob: Date, rng: &mut Rng) -> String {
    let (f, l) = (values::fold(first), values::fold(last));
    let local = match rng.below(5) {
        0 | 1 => format!("{f}.{l}"),
        2 => format!("{f}{l}{:02}", dob.y % 100),
        3 => format!("{}.{l}", &f[..1.min(f.len())]),
        _ => format!("{l}_{f}{}", rng.range(1, 99)),
    };
    format!("{local}@{}", rng.pick(PROVIDERS))
}

/// A title to match the person.
fn title(female: bool, rng: &mut Rng) -> &'static str {
    if female { rng.pick(&["Mrs", "Ms", "Miss", "Ms"]).to_owned() } else { "Mr" }
}

/// The charity that owns the drive.
#[derive(Debug, Clone)]
pub struct Charity {
    pub name: &'static str,
    pub domain: &'static str,
    pub town: &'static str,
    /// What it does, for prose: "unpaid carers", "young people".
    pub serves: &'static str,
    pub number: &'static str,
    /// Its organisational number (not personal data).
    pub phone: &'static str,
}

pub const CHARITIES: &[Charity] = &[
    Charity {
        name: "Weald Carers Trust",
        domain: "wealdcarers.org.uk",
        town: "Maidstone",
        serves: "unpaid carers",
        number: "1123456",
        phone: "0300 123 4567",
    },
    Charity {
        name: "Medway Youth Link",
        domain: "medwayyouthlink.org.uk",
        town: "Chatham",
        serves: "young people aged 11 to 25",
        number: "1098765",
        phone: "0345 600 1234",
    },
    Charity {
        name: "Stour Valley Social Prescribing",
        domain: "stourvalleysp.org.uk",
        town: "Canterbury",
        serves: "adults referred by their GP",
        number: "1187654",
        phone: "0300 456 7890",
    },
    Charity {
        name: "Swale Community Advice",
        domain: "swaleadvice.org.uk",
        town: "Sittingbourne",
        serves: "local residents",
        number: "1076543",
        phone: "0800 043 2210",
    },
];

const STAFF_JOBS: &[&str] = &[
    "Family Support Worker",
    "Carers Support Officer",
    "Service Manager",
    "Volunteer Coordinator",
    "Link Worker",
    "Chief Executive",
    "Advice Caseworker",
];
const VOLUNTEER_ROLES: &[&str] =
    &["Befriender", "Driver", "Helpline volunteer", "Youth mentor", "Admin support", "Group facilitator"];
const REFERRER_ORGS: &[(&str, &str, &str)] = &[
    ("Len Valley Practice", "GP", "nhs.net"),
    ("Bower Mount Medical Centre", "Practice Nurse", "nhs.net"),
    ("Wincheap Surgery", "Social Prescriber", "nhs.net"),
    ("Invicta Grammar School", "Pastoral Lead", "invicta.kent.sch.uk"),
    ("Oakwood Park School", "Designated Safeguarding Lead", "oakwoodpark.kent.sch.uk"),
    ("Kent County Council", "Social Worker", "kent.gov.uk"),
];
const RELATIONS: &[&str] =
    &["husband", "wife", "daughter", "son", "mother", "father", "partner", "sister", "brother", "neighbour"];

/// Everyone in the corpus.
pub struct Pool {
    pub charity: Charity,
    pub clients: Vec<Person>,
    pub volunteers: Vec<Person>,
    pub staff: Vec<Person>,
    pub referrers: Vec<Person>,
}

impl Pool {
    /// A pool sized by `scale` (1 gives 30 clients, 8 volunteers, 5 staff, 6 referrers).
    pub fn new(rng: &mut Rng, scale: usize) -> Pool {
        // Drawn from their own stream, which leaves `rng` as it was: the
        // rest of the corpus does not change with what is drawn here.
        let mut abroad = rng.clone().fork(0x4855_5345);
        let names = Names::load();
        let charity = CHARITIES[rng.below(CHARITIES.len())].clone();
        let mut seen = std::collections::HashSet::new();
        let mut make = |role: Role, n: usize, rng: &mut Rng| -> Vec<Person> {
            (0..n).map(|i| person(&names, role, i as u32, &charity, &mut seen, rng)).collect()
        };
        let clients = make(Role::Client, 30 * scale, rng);
        let volunteers = make(Role::Volunteer, 8 * scale, rng);
        let staff = make(Role::Staff, 4 + scale, rng);
        let referrers = make(Role::Referrer, 6 * scale, rng);
        let mut pool = Pool { charity, clients, volunteers, staff, referrers };
        pool.add_house_names_and_numbers_abroad(&mut abroad);
        pool
    }

    /// Some clients live in a house with a name and no number (`Rose
    /// Cottage, Mill Lane`) or have a mobile from abroad; some next of kin
    /// have a number from abroad.
    fn add_house_names_and_numbers_abroad(&mut self, rng: &mut Rng) {
        for c in &mut self.clients {
            if rng.chance(35) {
                c.house_name = Some(house_name(rng));
            }
            if rng.chance(15) {
                c.mobile = values::international_phone(rng);
            }
        }
        for p in self.clients.iter_mut().chain(&mut self.volunteers).chain(&mut self.staff).chain(&mut self.referrers) {
            if rng.chance(25) {
                p.kin.phone = values::international_phone(rng);
            }
        }
    }

    /// Every person, for the tests' re-scan.
    pub fn everyone(&self) -> impl Iterator<Item = &Person> {
        self.clients.iter().chain(&self.volunteers).chain(&self.staff).chain(&self.referrers)
    }
}

fn person(
    names: &Names,
    role: Role,
    i: u32,
    charity: &Charity,
    seen: &mut std::collections::HashSet<String>,
    rng: &mut Rng,
) -> Person {
    // Staff and referrers appear in mail headers: keep their names ASCII.
    let ascii = matches!(role, Role::Staff | Role::Referrer);
    let (first, surname, female) = loop {
        let d = names.draw(rng);
        let full = format!("{} {}", d.0, d.1);
        if (!ascii || full.is_ascii()) && seen.insert(full) {
            break d;
        }
    };
    let dob = match role {
        Role::Client if charity.serves.starts_with("young") => Date::random(rng, 1999, 2012),
        _ => Date::random(rng, 1940, 2004),
    };
    let (postcode, town) = values::postcode(rng);
    let (kf, ks, _) = names.draw(rng);
    let kin_surname = if rng.chance(60) { surname.clone() } else { ks };
    let (org, job, domain) = match role {
        Role::Referrer => *rng.pick(REFERRER_ORGS),
        Role::Staff => ("", *rng.pick(STAFF_JOBS), charity.domain),
        Role::Volunteer => ("", *rng.pick(VOLUNTEER_ROLES), ""),
        Role::Client => ("", "", ""),
    };
    let email = if domain.is_empty() {
        personal_email(&first, &surname, dob, rng)
    } else if role == Role::Staff {
        format!("{}.{}@{domain}", &values::fold(&first)[..1], values::fold(&surname))
    } else {
        format!("{}.{}@{domain}", values::fold(&first), values::fold(&surname))
    };
    Person {
        role,
        id: 1000 + i * 7 + rng.range(0, 6),
        title: if job == "GP" { "Dr" } else { title(female, rng) },
        dob,
        nino: values::nino(rng),
        nhs: values::nhs(rng),
        mobile: values::phone(rng, true),
        landline: rng.chance(40).then(|| values::phone(rng, false)),
        email,
        house: rng.range(1, 148),
        house_name: None,
        street: format!("{} {}", rng.pick(STREETS), rng.pick(STREET_TYPES)),
        town,
        postcode,
        sort_code: values::sort_code(rng),
        account: values::account(rng),
        card: rng.chance(50).then(|| values::card(rng)),
        kin: Kin {
            first: kf,
            surname: kin_surname,
            relation: RELATIONS[rng.below(RELATIONS.len())],
            phone: values::phone(rng, true),
        },
        job,
        org,
        first,
        surname,
        female,
    }
}
