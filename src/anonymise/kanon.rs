//! Re-identification risk in anonymised tables: k-anonymity over the
//! quasi-identifier columns a copy keeps (date of birth or age, gender,
//! ethnicity, postcode).
//!
//! A table is k-anonymous when every combination of its quasi-identifier
//! values is shared by at least k rows. Following ARX's approach (full-domain
//! generalisation over a lattice of hierarchy levels, with a limit on
//! suppressed records, choosing the least information loss), each column
//! kind has a generalisation hierarchy, each level keeping less:
//!
//! | kind | 1 | 2 | 3 | 4 | top |
//! | --- | --- | --- | --- | --- | --- |
//! | birth year or date of birth | year of birth | age band of 5 years | of 10 years | of 20 years | `*` |
//! | age | band of 5 years | of 10 | of 20 | | `*` |
//! | postcode | sector (`ME14 5`) | district (`ME14`) | area (`ME`) | | `*` |
//! | ethnicity | broad group (ONS: White, Mixed, Asian, Black, Other) | | | | `*` |
//! | gender, anything else | | | | | `*` |
//!
//! Every combination of levels is a node of the lattice (a handful of
//! columns make a few hundred nodes). Nodes are tried in order of the loss
//! they would have without suppression, a lower bound of their loss, and the
//! search stops when that bound passes the best loss found: the answer is the
//! least-loss node, found without trying most nodes. A node is
//! acceptable when the rows in classes smaller than k are no more than the
//! suppression limit; those rows are suppressed (their quasi-identifiers
//! become `*`). Of the acceptable nodes the one losing least information is
//! taken, by ARX's "loss" metric (Iyengar's LM): a cell generalised to a
//! value that covers m of the column's M distinct values loses
//! (m - 1) / (M - 1), a suppressed cell loses 1, and a table's loss is the
//! mean over its quasi-identifier cells. So a few rare rows are suppressed
//! rather than a whole column generalised, but only up to the limit. A table
//! already k-anonymous loses nothing and is left as it is.

/// What a quasi-identifier column holds, which picks its hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QiKind {
    /// A date of birth or a year of birth.
    Birth,
    Age,
    Postcode,
    Ethnicity,
    /// Gender, sex, or another column named in the policy: kept or `*`.
    Other,
}

impl QiKind {
    /// The kind a header names, if it is one of the quasi-identifier
    /// `phrases` (case-insensitive, matched as words).
    pub fn of_header(header: &str, phrases: &[String]) -> Option<QiKind> {
        let h = header.trim().to_lowercase();
        let words: Vec<&str> = h.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        let joined = words.join(" ");
        let has = |p: &str| {
            let p = p.trim().to_lowercase();
            !p.is_empty() && format!(" {joined} ").contains(&format!(" {p} "))
        };
        if !phrases.iter().any(|p| has(p)) {
            return None;
        }
        Some(if has("dob") || has("birth") || has("born") || has("yob") {
            QiKind::Birth
        } else if has("age") || has("age band") {
            QiKind::Age
        } else if has("postcode") || has("post code") || has("postal code") || has("district") {
            QiKind::Postcode
        } else if has("ethnicity") || has("ethnic") || has("race") {
            QiKind::Ethnicity
        } else {
            QiKind::Other
        })
    }

    /// How much a cell of the column weighs in the information loss (ARX's
    /// attribute weights). Ethnicity counts double: it is an equalities
    /// monitoring column, kept by the shipped policy because partners need
    /// equalities figures, so the other columns are generalised first
    /// wherever that loses no more than twice as much.
    pub fn weight(self) -> f64 {
        match self {
            QiKind::Ethnicity => 2.0,
            _ => 1.0,
        }
    }

    /// The highest level (everything `*`).
    pub fn top(self) -> usize {
        match self {
            QiKind::Birth => 5,
            QiKind::Age => 4,
            QiKind::Postcode => 4,
            QiKind::Ethnicity => 2,
            QiKind::Other => 1,
        }
    }

    /// What the level is called, for the summary.
    fn level_name(self, level: usize) -> &'static str {
        match (self, level) {
            (_, 0) => "as it was",
            (k, l) if l == k.top() => "removed (*)",
            (QiKind::Birth, 1) => "year of birth",
            (QiKind::Birth, 2) => "age bands of 5 years",
            (QiKind::Birth, 3) => "age bands of 10 years",
            (QiKind::Birth, _) => "age bands of 20 years",
            (QiKind::Age, 1) => "bands of 5 years",
            (QiKind::Age, 2) => "bands of 10 years",
            (QiKind::Age, _) => "bands of 20 years",
            (QiKind::Postcode, 1) => "postcode sector",
            (QiKind::Postcode, 2) => "postcode district",
            (QiKind::Postcode, _) => "postcode area",
            (QiKind::Ethnicity, _) => "broad ethnic group",
            (QiKind::Other, _) => "as it was",
        }
    }

    /// `value` generalised to `level`; `this_year` turns years of birth into ages.
    pub fn generalise(self, value: &str, level: usize, this_year: i32) -> String {
        let v = value.trim();
        if level == 0 {
            return v.to_string();
        }
        if level >= self.top() {
            return "*".to_string();
        }
        match self {
            QiKind::Birth => match birth_year(v) {
                Some(y) if level == 1 => y.to_string(),
                Some(y) => band((this_year - y).max(0), [5, 10, 20][level - 2]),
                None => v.to_string(),
            },
            QiKind::Age => match v.parse::<i32>() {
                Ok(a) if (0..130).contains(&a) => band(a, [5, 10, 20][level - 1]),
                _ => v.to_string(),
            },
            QiKind::Postcode => {
                let compact: String = v.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
                if compact.is_empty() || !compact.is_ascii() {
                    return v.to_string();
                }
                // A full postcode ends in its inward code: a digit, two letters.
                let full = compact.len() >= 5 && compact.as_bytes()[compact.len() - 3].is_ascii_digit();
                let district = if full { &compact[..compact.len() - 3] } else { &compact[..] };
                match level {
                    1 if full => format!("{district} {}", &compact[compact.len() - 3..compact.len() - 2]),
                    1 | 2 => district.to_string(),
                    _ => district.chars().take_while(char::is_ascii_alphabetic).collect(),
                }
            }
            QiKind::Ethnicity => broad_ethnic_group(v).to_string(),
            QiKind::Other => v.to_string(),
        }
    }
}

/// `30-39` for 34 in bands of 10.
fn band(age: i32, width: i32) -> String {
    let lo = age / width * width;
    format!("{lo}-{}", lo + width - 1)
}

/// The year of a year of birth (`1985`) or a date of birth (`12/03/1985`,
/// `1985-03-12`).
fn birth_year(v: &str) -> Option<i32> {
    let digits: Vec<&str> = v.split(|c: char| !c.is_ascii_digit()).filter(|p| p.len() == 4).collect();
    match digits.as_slice() {
        [y] => y.parse().ok().filter(|y| (1880..2100).contains(y)),
        _ => None,
    }
}

/// The ONS 2021 census's five broad ethnic groups (an answer that says
/// nothing stays as it is).
fn broad_ethnic_group(v: &str) -> &str {
    let l = v.to_lowercase();
    let has = |w: &str| l.contains(w);
    if l.is_empty() || has("prefer not") || has("not stated") || has("unknown") || l == "n/a" || l == "none" {
        v
    } else if has("mixed") || has("multiple") || has(" and ") || has("dual heritage") {
        "Mixed"
    } else if has("white") || has("gypsy") || has("traveller") || has("roma") || has("irish") {
        "White"
    } else if has("asian") || has("indian") || has("pakistani") || has("bangladeshi") || has("chinese") {
        "Asian"
    } else if has("black") || has("african") || has("caribbean") {
        "Black"
    } else {
        "Other"
    }
}

/// The policy's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The k to reach (1 or less: not measured).
    pub k: usize,
    /// The largest share of rows (0.0 to 1.0) that may be removed.
    pub max_suppressed: f64,
    /// Header words or phrases of quasi-identifier columns.
    pub quasi_identifiers: Vec<String>,
}

/// What was done to one table.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The quasi-identifier columns: header, kind, level chosen.
    pub columns: Vec<(String, QiKind, usize)>,
    pub rows_before: usize,
    /// The smallest class before and after (0 for a table without rows).
    pub k_before: usize,
    pub k_after: usize,
    /// Rows whose quasi-identifiers were all replaced by `*` for being too rare.
    pub suppressed: usize,
    /// Information lost, 0.0 (none) to 1.0 (every quasi-identifier `*`):
    /// the mean loss of the quasi-identifier cells (see the module's notes).
    pub loss: f64,
}

impl Outcome {
    /// Was the table changed?
    pub fn changed(&self) -> bool {
        self.suppressed > 0 || self.columns.iter().any(|c| c.2 > 0)
    }

    /// One line for the summary.
    pub fn describe(&self, k: usize) -> String {
        let cols: Vec<&str> = self.columns.iter().map(|c| c.0.as_str()).collect();
        let cols = cols.join(", ");
        if !self.changed() {
            return format!("re-identification risk: k = {} over {cols} (at least {k}): left as it was", self.k_before);
        }
        let generalised: Vec<String> = self
            .columns
            .iter()
            .filter(|c| c.2 > 0 && c.2 < c.1.top())
            .map(|(h, kind, level)| format!("{h} to {}", kind.level_name(*level)))
            .collect();
        let removed: Vec<&str> =
            self.columns.iter().filter(|c| c.2 > 0 && c.2 == c.1.top()).map(|c| c.0.as_str()).collect();
        let mut s = format!("re-identification risk: k was {} over {cols}", self.k_before);
        if !generalised.is_empty() {
            s.push_str(&format!("; generalised {}", generalised.join(", ")));
        }
        if !removed.is_empty() {
            s.push_str(&format!("; removed {} (shown as *)", removed.join(", ")));
        }
        if self.suppressed > 0 {
            s.push_str(&format!(
                "; suppressed {} of {} rows still too rare (their {cols} shown as *)",
                self.suppressed, self.rows_before
            ));
        }
        if self.k_after >= k {
            s.push_str(&format!(
                "; k is now {} (information kept in these columns: {:.0}%)",
                self.k_after,
                100.0 * (1.0 - self.loss)
            ));
        } else {
            s.push_str(&format!(
                "; every row suppressed: fewer than {k} rows could be made alike, so none keeps its {cols}"
            ));
        }
        s
    }
}

/// Make `rows` (without the header; suppressed in place, none removed) k-anonymous over the columns of
/// `header` that [`QiKind::of_header`] names: generalise and suppress as
/// little as the settings allow. `None` when the table has no
/// quasi-identifier column or k is not measured.
pub fn apply(header: &[String], rows: &mut [Vec<String>], settings: &Settings, this_year: i32) -> Option<Outcome> {
    let mut table = Table::new(header, settings)?;
    for row in rows.iter() {
        table.add(row);
    }
    let solution = table.solve(settings, this_year);
    for row in rows.iter_mut() {
        solution.apply(&table, row);
    }
    Some(solution.outcome)
}

/// A table's quasi-identifiers, gathered a row at a time: each column's
/// distinct values, and each distinct combination of them with the number
/// of rows that have it. What k-anonymity needs depends on these counts
/// only, so memory grows with the distinct combinations, not the rows (a
/// CSV file of millions of rows is read twice instead: once to gather its
/// table, once to write the values [`Solution::apply`] chooses).
pub struct Table {
    /// The quasi-identifier columns: index in the row, header, kind.
    qis: Vec<(usize, String, QiKind)>,
    /// For each of them, its distinct values (trimmed) by number, and the
    /// number of each.
    values: Vec<Vec<String>>,
    numbers: Vec<rustc_hash::FxHashMap<String, u32>>,
    /// Each distinct combination of value numbers: how many rows have it.
    combinations: rustc_hash::FxHashMap<Box<[u32]>, u64>,
    rows: u64,
}

impl Table {
    /// An empty table for the columns of `header` that [`QiKind::of_header`]
    /// names; `None` when there is none or k is not measured.
    pub fn new(header: &[String], settings: &Settings) -> Option<Table> {
        if settings.k <= 1 {
            return None;
        }
        let qis: Vec<(usize, String, QiKind)> = header
            .iter()
            .enumerate()
            .filter_map(|(i, h)| QiKind::of_header(h, &settings.quasi_identifiers).map(|k| (i, h.clone(), k)))
            .collect();
        if qis.is_empty() {
            return None;
        }
        let n = qis.len();
        Some(Table {
            qis,
            values: vec![Vec::new(); n],
            numbers: vec![Default::default(); n],
            combinations: Default::default(),
            rows: 0,
        })
    }

    /// Add one row (a missing cell counts as empty).
    pub fn add(&mut self, row: &[String]) {
        let mut key = Vec::with_capacity(self.qis.len());
        for (c, &(i, _, _)) in self.qis.iter().enumerate() {
            let v = row.get(i).map_or("", |s| s.trim());
            let id = match self.numbers[c].get(v) {
                Some(&id) => id,
                None => {
                    let id = self.values[c].len() as u32;
                    self.values[c].push(v.to_string());
                    self.numbers[c].insert(v.to_string(), id);
                    id
                }
            };
            key.push(id);
        }
        *self.combinations.entry(key.into_boxed_slice()).or_default() += 1;
        self.rows += 1;
    }

    /// The value numbers of a row's quasi-identifiers, if the table has them all.
    fn key(&self, row: &[String]) -> Option<Vec<u32>> {
        self.qis
            .iter()
            .enumerate()
            .map(|(c, &(i, _, _))| self.numbers[c].get(row.get(i).map_or("", |s| s.trim())).copied())
            .collect()
    }

    /// Choose how to generalise and what to suppress (see the module's notes).
    pub fn solve(&self, settings: &Settings, this_year: i32) -> Solution {
        let k = settings.k as u64;
        let combos: Vec<(&[u32], u64)> = self.combinations.iter().map(|(key, &n)| (&**key, n)).collect();
        let n = self.rows;
        let kinds: Vec<QiKind> = self.qis.iter().map(|q| q.2).collect();
        let tops: Vec<usize> = kinds.iter().map(|k| k.top()).collect();
        // Each value's number at each level (one per distinct generalised
        // value), its generalised text, and its cell's loss at each level.
        let mut gen_ids: Vec<Vec<Vec<u32>>> = Vec::new();
        let mut gen_text: Vec<Vec<Vec<String>>> = Vec::new();
        let mut cell_loss: Vec<Vec<Vec<f64>>> = Vec::new();
        for (c, &kind) in kinds.iter().enumerate() {
            let raw = &self.values[c];
            let distinct = raw.len();
            let (mut col_ids, mut col_text, mut col_loss) = (Vec::new(), Vec::new(), Vec::new());
            for level in 0..=kind.top() {
                let generalised: Vec<String> = raw.iter().map(|v| kind.generalise(v, level, this_year)).collect();
                let mut numbers: rustc_hash::FxHashMap<&str, u32> = Default::default();
                let mut covered: Vec<usize> = Vec::new();
                let ids: Vec<u32> = generalised
                    .iter()
                    .map(|g| {
                        let next = numbers.len() as u32;
                        let id = *numbers.entry(g).or_insert(next);
                        if id as usize == covered.len() {
                            covered.push(0);
                        }
                        covered[id as usize] += 1;
                        id
                    })
                    .collect();
                let w = kind.weight();
                let lm = |id: u32| {
                    if distinct <= 1 { 0.0 } else { (covered[id as usize] - 1) as f64 / (distinct - 1) as f64 }
                };
                col_loss.push(ids.iter().map(|&id| w * if level == kind.top() { 1.0 } else { lm(id) }).collect());
                col_ids.push(ids);
                col_text.push(generalised);
            }
            gen_ids.push(col_ids);
            gen_text.push(col_text);
            cell_loss.push(col_loss);
        }
        // The size of each combination's class at a node: classes are
        // numbered a column at a time, (class so far, value) pairs.
        let classes = |node: &[usize]| -> Vec<u64> {
            let mut class: Vec<u32> = combos.iter().map(|(key, _)| gen_ids[0][node[0]][key[0] as usize]).collect();
            for c in 1..node.len() {
                let mut pairs: rustc_hash::FxHashMap<(u32, u32), u32> = Default::default();
                for (t, (key, _)) in combos.iter().enumerate() {
                    let pair = (class[t], gen_ids[c][node[c]][key[c] as usize]);
                    let next = pairs.len() as u32;
                    class[t] = *pairs.entry(pair).or_insert(next);
                }
            }
            let mut sizes = vec![0u64; class.iter().max().map_or(0, |&m| m as usize + 1)];
            for (t, &(_, count)) in combos.iter().enumerate() {
                sizes[class[t] as usize] += count;
            }
            class.iter().map(|&c| sizes[c as usize]).collect()
        };
        let zero = vec![0; kinds.len()];
        let k_before = classes(&zero).into_iter().min().unwrap_or(0) as usize;
        let allowed = (settings.max_suppressed.clamp(0.0, 1.0) * n as f64).floor() as u64;
        // Every node of the lattice.
        let mut nodes: Vec<Vec<usize>> = vec![Vec::new()];
        for &top in &tops {
            nodes = nodes.into_iter().flat_map(|n| (0..=top).map(move |l| [n.clone(), vec![l]].concat())).collect();
        }
        // Each row's weight: what a suppressed row loses.
        let row_weight: f64 = kinds.iter().map(|q| q.weight()).sum();
        let cells = (n.max(1) as f64) * row_weight;
        // A node's loss if no row were suppressed: no more than its loss (a
        // suppressed cell loses 1, the most), so nodes are tried in its order
        // and the search stops once it exceeds the best loss found.
        let mut column_loss: Vec<Vec<f64>> = cell_loss.iter().map(|col| vec![0.0; col.len()]).collect();
        for &(key, count) in &combos {
            for (c, col) in column_loss.iter_mut().enumerate() {
                for (l, sum) in col.iter_mut().enumerate() {
                    *sum += count as f64 * cell_loss[c][l][key[c] as usize];
                }
            }
        }
        let bound = |node: &[usize]| node.iter().enumerate().map(|(c, &l)| column_loss[c][l]).sum::<f64>() / cells;
        let mut nodes: Vec<(f64, Vec<usize>)> = nodes.into_iter().map(|node| (bound(&node), node)).collect();
        nodes.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        // Rounded so that sums in another order compare equal.
        let rounded = |x: f64| (x * 1e9).round();
        let lost_at = |node: &[usize], sizes: &[u64]| -> f64 {
            combos
                .iter()
                .zip(sizes)
                .map(|(&(key, count), &size)| {
                    count as f64
                        * if size < k {
                            row_weight
                        } else {
                            node.iter().enumerate().map(|(c, &l)| cell_loss[c][l][key[c] as usize]).sum()
                        }
                })
                .sum()
        };
        let suppressed_at =
            |sizes: &[u64]| combos.iter().zip(sizes).filter(|(_, s)| **s < k).map(|((_, count), _)| count).sum::<u64>();
        // The acceptable node losing least; on a tie, the one generalising
        // least (a year-of-birth column "generalised" to its year is the same).
        let mut best: Option<(f64, usize, Vec<usize>, Vec<u64>)> = None;
        for (lower, node) in nodes {
            if best.as_ref().is_some_and(|b| rounded(lower) > rounded(b.0)) {
                break;
            }
            let sizes = classes(&node);
            if suppressed_at(&sizes) > allowed {
                continue;
            }
            let loss = lost_at(&node, &sizes) / cells;
            let height: usize = node.iter().sum();
            let better = match &best {
                None => true,
                Some((b_loss, b_height, b_node, _)) => {
                    let (l, bl) = (rounded(loss), rounded(*b_loss));
                    l < bl || (l == bl && (height, &node) < (*b_height, b_node))
                }
            };
            if better {
                best = Some((loss, height, node, sizes));
            }
        }
        // None within the limit: everything generalised to the top, and what is
        // still too rare (a table of fewer than k rows) suppressed.
        let (node, sizes) = match best {
            Some((_, _, node, sizes)) => (node, sizes),
            None => (tops.clone(), classes(&tops)),
        };
        let loss = lost_at(&node, &sizes) / cells;
        let suppressed = suppressed_at(&sizes) as usize;
        let k_after = sizes.iter().filter(|&&s| s >= k).min().copied().unwrap_or(0) as usize;
        let rare: rustc_hash::FxHashSet<Box<[u32]>> =
            combos.iter().zip(&sizes).filter(|(_, s)| **s < k).map(|((key, _), _)| Box::from(*key)).collect();
        let shown: Vec<Vec<String>> =
            gen_text.into_iter().zip(&node).map(|(mut levels, &l)| std::mem::take(&mut levels[l])).collect();
        let columns = self.qis.iter().zip(&node).map(|((_, h, kind), &level)| (h.clone(), *kind, level)).collect();
        Solution {
            outcome: Outcome { columns, rows_before: n as usize, k_before, k_after, suppressed, loss },
            levels: node,
            shown,
            rare,
        }
    }
}

/// What [`Table::solve`] chose: the outcome, and what each row becomes.
pub struct Solution {
    pub outcome: Outcome,
    /// The level of each quasi-identifier column.
    levels: Vec<usize>,
    /// Each column's values (by number) at its level.
    shown: Vec<Vec<String>>,
    /// The combinations whose rows are suppressed.
    rare: rustc_hash::FxHashSet<Box<[u32]>>,
}

impl Solution {
    /// Write the chosen values into a row of `table` (a row it was not
    /// given is suppressed). Cells the row lacks stay lacking.
    pub fn apply(&self, table: &Table, row: &mut [String]) {
        let key = table.key(row);
        let suppress = key.as_ref().is_none_or(|key| self.rare.contains(key.as_slice()));
        for (c, &(i, _, _)) in table.qis.iter().enumerate() {
            let Some(cell) = row.get_mut(i) else { continue };
            if suppress {
                *cell = "*".to_string();
            } else if self.levels[c] > 0
                && let Some(key) = &key
            {
                *cell = self.shown[c][key[c] as usize].clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use piisweep_testkit::rng::Rng;

    fn settings(k: usize) -> Settings {
        Settings {
            k,
            max_suppressed: 0.05,
            quasi_identifiers: [
                "dob",
                "date of birth",
                "year of birth",
                "age",
                "gender",
                "sex",
                "ethnicity",
                "postcode",
            ]
            .map(String::from)
            .to_vec(),
        }
    }

    fn header() -> Vec<String> {
        ["Client", "Year of birth", "Gender", "Ethnicity", "Postcode", "Need"].map(String::from).to_vec()
    }

    /// The smallest class over the quasi-identifier columns as they are now.
    fn smallest_class(header: &[String], rows: &[Vec<String>], s: &Settings) -> usize {
        let qi: Vec<usize> =
            (0..header.len()).filter(|&i| QiKind::of_header(&header[i], &s.quasi_identifiers).is_some()).collect();
        let mut counts = std::collections::HashMap::new();
        for r in rows {
            *counts.entry(qi.iter().map(|&i| r[i].clone()).collect::<Vec<_>>()).or_insert(0) += 1;
        }
        counts.values().copied().min().unwrap_or(0)
    }

    /// A referrals-like table: `n` rows, birth years, genders, ethnicities
    /// and postcode districts drawn at random.
    fn referrals(n: usize, seed: u64) -> Vec<Vec<String>> {
        let mut rng = Rng::new(seed);
        let eth =
            ["White British", "Black African", "Asian or Asian British - Indian", "Mixed - White and Asian", "Arab"];
        let districts = ["ME14", "ME15", "ME16", "TN9", "TN10", "CT1"];
        (0..n)
            .map(|i| {
                vec![
                    format!("Person_{i:04}"),
                    (1940 + rng.below(65) as i32).to_string(),
                    rng.pick(&["Female", "Male"]).to_string(),
                    rng.pick(&eth).to_string(),
                    rng.pick(&districts).to_string(),
                    "Food parcel".to_string(),
                ]
            })
            .collect()
    }

    #[test]
    fn hierarchies() {
        assert_eq!(QiKind::Birth.generalise("12/03/1985", 1, 2026), "1985");
        assert_eq!(QiKind::Birth.generalise("1985-03-12", 2, 2026), "40-44");
        assert_eq!(QiKind::Birth.generalise("1985", 3, 2026), "40-49");
        assert_eq!(QiKind::Birth.generalise("12/03/1985", 4, 2026), "40-59");
        assert_eq!(QiKind::Birth.generalise("1985", 5, 2026), "*");
        assert_eq!(QiKind::Birth.generalise("Not known", 2, 2026), "Not known");
        assert_eq!(QiKind::Age.generalise("34", 1, 2026), "30-34");
        assert_eq!(QiKind::Postcode.generalise("ME14 5PP", 1, 2026), "ME14 5");
        assert_eq!(QiKind::Postcode.generalise("me145pp", 2, 2026), "ME14");
        assert_eq!(QiKind::Postcode.generalise("ME14", 1, 2026), "ME14");
        assert_eq!(QiKind::Postcode.generalise("ME14 5PP", 3, 2026), "ME");
        assert_eq!(QiKind::Postcode.generalise("ME14", 4, 2026), "*");
        assert_eq!(QiKind::Ethnicity.generalise("Black Caribbean", 1, 2026), "Black");
        assert_eq!(QiKind::Ethnicity.generalise("Mixed - White and Asian", 1, 2026), "Mixed");
        assert_eq!(QiKind::Ethnicity.generalise("Prefer not to say", 1, 2026), "Prefer not to say");
        assert_eq!(QiKind::of_header("Year of birth", &settings(5).quasi_identifiers), Some(QiKind::Birth));
        assert_eq!(QiKind::of_header("Ethnic group", &settings(5).quasi_identifiers), None);
        assert_eq!(QiKind::of_header("Client", &settings(5).quasi_identifiers), None);
    }

    #[test]
    fn a_risky_table_reaches_k_with_little_suppression() {
        let s = settings(5);
        let h = header();
        let mut rows = referrals(240, 27);
        assert_eq!(smallest_class(&h, &rows, &s), 1, "the generated table singles people out");
        let out = apply(&h, &mut rows, &s, 2026).expect("has quasi-identifiers");
        assert_eq!(out.k_before, 1);
        assert!(out.k_after >= 5, "{out:?}");
        assert!(out.changed());
        assert!(out.suppressed <= 12, "at most 5% of 240 rows suppressed: {out:?}");
        assert_eq!(rows.len(), 240, "rows are suppressed, not removed");
        let suppressed: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == "*" && r[2] == "*" && r[4] == "*").collect();
        assert_eq!(suppressed.len(), out.suppressed);
        // Measured on the rows as written, not only as reported: the rows
        // not suppressed are each alike at least 5 times.
        let shown: Vec<Vec<String>> = rows.iter().filter(|r| r[1..5].iter().any(|v| v != "*")).cloned().collect();
        assert!(smallest_class(&h, &shown, &s) >= 5, "{out:?}\n{shown:?}");
        // Columns that are not quasi-identifiers are untouched.
        assert!(rows.iter().all(|r| r[0].starts_with("Person_") && r[5] == "Food parcel"));
        let line = out.describe(5);
        assert!(line.contains("k was 1") && line.contains("k is now"), "{line}");
    }

    /// A referrals export as a local charity's looks: dates of birth of
    /// adults, more women than men, ethnicity about as the 2021 census found
    /// it in Kent (mostly White British), full postcodes in four districts.
    fn realistic(n: usize, seed: u64) -> (Vec<String>, Vec<Vec<String>>) {
        let mut rng = Rng::new(seed);
        let header = ["Ref", "Date of birth", "Gender", "Ethnicity", "Postcode"].map(String::from).to_vec();
        let ethnicity = |x: usize| match x {
            0..=79 => "White British",
            80..=85 => "White Other",
            86..=90 => "Asian or Asian British - Indian",
            91..=94 => "Black African",
            95..=97 => "Mixed - White and Black Caribbean",
            _ => "Prefer not to say",
        };
        let rows = (0..n)
            .map(|i| {
                vec![
                    format!("R{i}"),
                    format!("{:02}/{:02}/{}", 1 + rng.below(28), 1 + rng.below(12), 1936 + rng.below(70)),
                    if rng.below(100) < 58 { "Female" } else { "Male" }.to_string(),
                    ethnicity(rng.below(100)).to_string(),
                    format!(
                        "{} {}{}{}",
                        rng.pick(&["ME14", "ME15", "ME16", "ME20"]),
                        rng.below(10),
                        rng.pick(&["A", "B", "D", "E", "F"]),
                        rng.pick(&["G", "H", "J", "L", "N"])
                    ),
                ]
            })
            .collect();
        (header, rows)
    }

    #[test]
    fn generalising_keeps_more_than_removing_columns() {
        // A year's referrals (1,000 rows): dates of birth become age bands
        // or postcode districts, not both `*`. The answer that removes date of birth and postcode loses
        // those two columns whole, and what the other two lose on their own.
        for seed in [27, 28, 29] {
            let s = settings(5);
            let (h, mut rows) = realistic(1000, seed);
            let before = rows.clone();
            let out = apply(&h, &mut rows, &s, 2026).unwrap();
            assert_eq!(out.k_before, 1);
            assert!(out.k_after >= 5 && out.suppressed <= 50, "{out:?}");
            let shown: Vec<Vec<String>> = rows.iter().filter(|r| r[1..].iter().any(|v| v != "*")).cloned().collect();
            assert_eq!(shown.len(), 1000 - out.suppressed);
            assert!(smallest_class(&h, &shown, &s) >= 5, "{out:?}");
            // Date of birth or postcode (or both) keeps at least three values.
            let kept = [1, 4].iter().any(|&c| {
                let distinct: std::collections::HashSet<&str> = shown.iter().map(|r| r[c].as_str()).collect();
                distinct.len() >= 3 && !distinct.contains("*")
            });
            assert!(kept, "{out:?}");
            let mut without = before.clone();
            for r in &mut without {
                r[1].clear();
                r[4].clear();
            }
            let other_two = apply(&h, &mut without, &s, 2026).unwrap();
            let removing = (1.0 + other_two.loss) / 2.0;
            assert!(out.loss + 0.1 < removing, "{} against {removing}: {out:?}", out.loss);
            // What is shown generalises the row as it was.
            for (new, old) in rows.iter().zip(&before) {
                if new[4] != "*" {
                    assert!(old[4].replace(' ', "").starts_with(&new[4].replace(' ', "")), "{new:?} {old:?}");
                }
            }
            let line = out.describe(5);
            assert!(line.contains("information kept in these columns"), "{line}");
        }
        // A small table may need both removed, but never loses more.
        let (h, mut rows) = realistic(240, 27);
        let mut without = rows.clone();
        for r in &mut without {
            r[1].clear();
            r[4].clear();
        }
        let out = apply(&h, &mut rows, &settings(5), 2026).unwrap();
        let other_two = apply(&h, &mut without, &settings(5), 2026).unwrap();
        assert!(out.k_after >= 5 && out.loss <= (1.0 + other_two.loss) / 2.0 + 1e-9, "{out:?}");
    }

    /// The least loss over every node of the lattice, tried one by one
    /// (what the bounded search must find).
    fn least_loss_by_trying_all(h: &[String], rows: &[Vec<String>], s: &Settings) -> f64 {
        let qis: Vec<QiKind> = h.iter().filter_map(|x| QiKind::of_header(x, &s.quasi_identifiers)).collect();
        let idx: Vec<usize> =
            (0..h.len()).filter(|&i| QiKind::of_header(&h[i], &s.quasi_identifiers).is_some()).collect();
        let mut nodes: Vec<Vec<usize>> = vec![Vec::new()];
        for q in &qis {
            nodes = nodes.into_iter().flat_map(|n| (0..=q.top()).map(move |l| [n.clone(), vec![l]].concat())).collect();
        }
        // Each node's loss, measured on its own output: the header made to
        // name only the columns' kinds, the rows generalised by hand.
        let allowed = (s.max_suppressed * rows.len() as f64).floor() as usize;
        let mut best = f64::INFINITY;
        for node in nodes {
            let generalised: Vec<Vec<String>> = rows
                .iter()
                .map(|r| idx.iter().zip(&node).zip(&qis).map(|((&i, &l), q)| q.generalise(&r[i], l, 2026)).collect())
                .collect();
            let mut counts = std::collections::HashMap::new();
            for g in &generalised {
                *counts.entry(g.clone()).or_insert(0usize) += 1;
            }
            let rare: Vec<bool> = generalised.iter().map(|g| counts[g] < s.k).collect();
            if rare.iter().filter(|&&x| x).count() > allowed {
                continue;
            }
            let mut lost = 0.0;
            for (c, q) in qis.iter().enumerate() {
                let raw: Vec<&str> = rows.iter().map(|r| r[idx[c]].trim()).collect();
                let distinct: std::collections::HashSet<&str> = raw.iter().copied().collect();
                for (r, g) in generalised.iter().enumerate() {
                    lost += q.weight()
                        * if rare[r] || g[c] == "*" {
                            1.0
                        } else if distinct.len() <= 1 {
                            0.0
                        } else {
                            let covered: std::collections::HashSet<&str> =
                                (0..rows.len()).filter(|&o| generalised[o][c] == g[c]).map(|o| raw[o]).collect();
                            (covered.len() - 1) as f64 / (distinct.len() - 1) as f64
                        };
                }
            }
            best = best.min(lost / (rows.len() as f64 * qis.iter().map(|q| q.weight()).sum::<f64>()));
        }
        best
    }

    /// Ethnicity weighs double: on 120-row referral tables, where every
    /// column weighing the same cost the ethnicity column entirely (6 seeds
    /// of 6), the other columns are generalised instead.
    #[test]
    fn the_equalities_column_is_kept_where_others_can_give_way() {
        let kept = (1..=6)
            .filter(|&seed| {
                let (h, mut rows) = realistic(120, seed);
                let out = apply(&h, &mut rows, &settings(5), 2026).unwrap();
                assert!(out.k_after >= 5);
                out.columns.iter().any(|(_, kind, level)| *kind == QiKind::Ethnicity && *level < kind.top())
            })
            .count();
        assert!(kept >= 5, "ethnicity kept on {kept} of 6 tables");
    }

    #[test]
    fn the_bounded_search_finds_the_least_loss() {
        for seed in [1, 2, 3] {
            let s = settings(5);
            let (h, rows) = realistic(80, seed);
            let want = least_loss_by_trying_all(&h, &rows, &s);
            let out = apply(&h, &mut rows.clone(), &s, 2026).unwrap();
            assert!((out.loss - want).abs() < 1e-9, "seed {seed}: {} against {want}", out.loss);
        }
    }

    #[test]
    fn a_few_rare_rows_are_suppressed_rather_than_a_column_generalised() {
        // 100 rows in five classes of 20, and two rows of their own: the
        // two are suppressed (2% of rows), nothing is generalised.
        let s = settings(5);
        let h = header();
        let mut rows: Vec<Vec<String>> = (0..100)
            .map(|i| {
                let year = ["1950", "1960", "1970", "1980", "1990"][i % 5];
                vec!["x".into(), year.into(), "Female".into(), "White British".into(), "ME14".into(), "n".into()]
            })
            .collect();
        rows.push(vec!["y".into(), "1931".into(), "Male".into(), "Arab".into(), "TN9".into(), "n".into()]);
        rows.push(vec!["z".into(), "2001".into(), "Male".into(), "Black African".into(), "CT1".into(), "n".into()]);
        let out = apply(&h, &mut rows, &s, 2026).unwrap();
        assert_eq!(out.suppressed, 2, "{out:?}");
        assert!(out.columns.iter().all(|c| c.2 == 0), "{out:?}");
        assert_eq!(rows[100][1..5], ["*", "*", "*", "*"]);
        assert_eq!(rows[0][1], "1950");
        // With no suppression allowed, the columns are generalised instead.
        let mut rows2 = rows.clone();
        rows2[100] = vec!["y".into(), "1931".into(), "Male".into(), "Arab".into(), "TN9".into(), "n".into()];
        rows2[101] = vec!["z".into(), "2001".into(), "Male".into(), "Black African".into(), "CT1".into(), "n".into()];
        let out = apply(&h, &mut rows2, &Settings { max_suppressed: 0.0, ..s }, 2026).unwrap();
        assert_eq!(out.suppressed, 0);
        assert!(out.k_after >= 5 && out.columns.iter().any(|c| c.2 > 0), "{out:?}");
    }

    #[test]
    fn a_table_already_k_anonymous_is_left_alone() {
        let s = settings(5);
        let h = header();
        // Every combination six times.
        let mut rows: Vec<Vec<String>> = Vec::new();
        for y in ["1950", "1980"] {
            for g in ["Female", "Male"] {
                for _ in 0..6 {
                    rows.push(vec!["x".into(), y.into(), g.into(), "White British".into(), "ME14".into(), "n".into()]);
                }
            }
        }
        let before = rows.clone();
        let out = apply(&h, &mut rows, &s, 2026).unwrap();
        assert_eq!(rows, before);
        assert!(!out.changed());
        assert_eq!((out.k_before, out.k_after), (6, 6));
        assert!(out.describe(5).contains("left as it was"));
    }

    #[test]
    fn k_one_or_no_quasi_identifiers_means_nothing_to_do() {
        let mut rows = referrals(20, 1);
        assert_eq!(apply(&header(), &mut rows, &settings(1), 2026), None);
        let h: Vec<String> = ["Client", "Need"].map(String::from).to_vec();
        let mut rows = vec![vec!["a".to_string(), "b".to_string()]];
        assert_eq!(apply(&h, &mut rows, &settings(5), 2026), None);
    }

    #[test]
    fn a_table_smaller_than_k_has_every_row_suppressed_and_says_so() {
        let mut rows = referrals(3, 2);
        let out = apply(&header(), &mut rows, &settings(5), 2026).unwrap();
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r[1..5] == ["*", "*", "*", "*"] && r[0].starts_with("Person_")), "{rows:?}");
        assert_eq!(out.suppressed, 3);
        assert!(out.describe(5).contains("every row suppressed"), "{}", out.describe(5));
    }

    #[test]
    fn larger_k_never_keeps_more_detail() {
        // Monotone in k: the chosen generalisation loses at least as much.
        for seed in 0..5 {
            let h = header();
            let loss = |k| {
                let mut rows = referrals(120, seed);
                let out = apply(&h, &mut rows, &settings(k), 2026).unwrap();
                assert!(out.k_after >= k);
                out.loss
            };
            assert!(loss(2) <= loss(5) && loss(5) <= loss(10), "seed {seed}");
        }
    }
}
