//! The database seam (#25): one way to run the map's SQL on a SQLite file
//! or a PostgreSQL server, so `map`, `sar` and the sweep do not each know
//! two client libraries.
//!
//! SQL is written once, in the dialect both understand, with positional
//! parameters `?1`, `?2`, ... (SQLite's; [`Db`] turns them into `$1`, `$2`
//! for PostgreSQL). Values cross the seam as [`Value`]s, typed on the way in
//! by the statement's parameter types (PostgreSQL checks them; SQLite does
//! not), and rows come back as [`Row`]s. Where the dialects differ, the
//! difference is a method here ([`Db::text_order`]) rather than an `if` at
//! each call site.
//!
//! Portable SQL to keep in mind: `sum(..)` of integers is `numeric` in
//! PostgreSQL, so cast it (`CAST(sum(x) AS BIGINT)`); grouping must name
//! every selected column not functionally dependent on a grouped primary
//! key (PostgreSQL checks, SQLite does not).

use std::cell::RefCell;
use std::collections::VecDeque;

use anyhow::{Context, bail};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};
use rusqlite::types::ValueRef;

/// One value in or out of the map.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Value {
        Value::Blob(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// A Rust type a [`Value`] can be read as.
pub trait FromValue: Sized {
    fn from_value(v: &Value) -> Option<Self>;

    /// [`FromValue::from_value`], taking the value (text and blobs are moved, not copied).
    fn from_owned(v: Value) -> Result<Self, Value> {
        Self::from_value(&v).ok_or(v)
    }
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Option<i64> {
        match v {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}

impl FromValue for f64 {
    fn from_value(v: &Value) -> Option<f64> {
        match v {
            Value::Real(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
}

impl FromValue for String {
    fn from_value(v: &Value) -> Option<String> {
        match v {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }

    fn from_owned(v: Value) -> Result<String, Value> {
        match v {
            Value::Text(s) => Ok(s),
            other => Err(other),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> Option<Vec<u8>> {
        match v {
            Value::Blob(b) => Some(b.clone()),
            _ => None,
        }
    }

    fn from_owned(v: Value) -> Result<Vec<u8>, Value> {
        match v {
            Value::Blob(b) => Ok(b),
            other => Err(other),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Option<Option<T>> {
        match v {
            Value::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }

    fn from_owned(v: Value) -> Result<Option<T>, Value> {
        match v {
            Value::Null => Ok(None),
            other => T::from_owned(other).map(Some),
        }
    }
}

/// One row of a query's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    /// Column `i` as a `T`; an error naming the column and what it held if
    /// it is missing or of another type.
    pub fn get<T: FromValue>(&self, i: usize) -> anyhow::Result<T> {
        let v = self.0.get(i).with_context(|| format!("the query has no column {i}"))?;
        T::from_value(v).with_context(|| format!("column {i} holds {v:?}, not a {}", std::any::type_name::<T>()))
    }
}

/// Which SQL dialect a [`Db`] speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A data map's database, SQLite or PostgreSQL.
pub enum Db<'a> {
    Sqlite(&'a rusqlite::Connection),
    Postgres(&'a mut postgres::Client),
}

impl Db<'_> {
    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// What to put after a text expression in `ORDER BY` so both orders
    /// are by bytes (SQLite's own): a PostgreSQL database made with a
    /// language's collation would otherwise sort names differently.
    pub fn text_order(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "",
            Db::Postgres(_) => " COLLATE \"C\"",
        }
    }

    /// What to put after an expression in `ORDER BY` so NULLs come first
    /// in both (SQLite's order; PostgreSQL puts them last).
    pub fn nulls_first(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "",
            Db::Postgres(_) => " NULLS FIRST",
        }
    }

    /// Run each of `queries` (SQL and its parameters) and give `f` a
    /// [`Cursor`] over each, in order, to read side by side. On PostgreSQL
    /// one connection reads them all: each is a portal in one read-only
    /// transaction (one snapshot of the map, whatever sweeps write
    /// meanwhile), fetched [`CURSOR_BATCH`] rows at a time.
    pub fn with_cursors<R>(
        &mut self,
        queries: &[(&str, &[Value])],
        f: impl for<'c> FnOnce(Vec<Cursor<'c>>) -> anyhow::Result<R>,
    ) -> anyhow::Result<R> {
        match self {
            Db::Sqlite(conn) => {
                let mut stmts = Vec::with_capacity(queries.len());
                for (sql, _) in queries {
                    stmts.push(conn.prepare(sql)?);
                }
                let mut cursors = Vec::with_capacity(queries.len());
                for (stmt, (_, params)) in stmts.iter_mut().zip(queries) {
                    let rows = stmt.query(rusqlite::params_from_iter(params.iter().map(sqlite_value)))?;
                    cursors.push(Cursor(Inner::Sqlite(rows)));
                }
                f(cursors)
            }
            Db::Postgres(client) => {
                let tx = client
                    .build_transaction()
                    .isolation_level(postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()?;
                let tx = RefCell::new(tx);
                let mut cursors = Vec::with_capacity(queries.len());
                for (sql, params) in queries {
                    let sql = dollar_params(sql);
                    let mut t = tx.borrow_mut();
                    let stmt = t.prepare(&sql).with_context(|| format!("PostgreSQL refused the query {sql}"))?;
                    let typed = pg_params(stmt.params(), params)?;
                    let refs: Vec<&(dyn ToSql + Sync)> = typed.iter().map(|b| b.as_ref()).collect();
                    let portal = t.bind(&stmt, &refs)?;
                    drop(t);
                    let tx: &RefCell<dyn Portals> = &tx;
                    cursors.push(Cursor(Inner::Postgres {
                        tx,
                        portal,
                        buf: VecDeque::new(),
                        current: None,
                        done: false,
                    }));
                }
                let out = f(cursors)?;
                tx.into_inner().commit()?;
                Ok(out)
            }
        }
    }

    /// Run `sql` and call `each` on every row as it comes (nothing held
    /// beyond the row).
    pub fn for_each(
        &mut self,
        sql: &str,
        params: &[Value],
        mut each: impl FnMut(&Row) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(conn) => {
                let mut stmt = conn.prepare_cached(sql)?;
                let n = stmt.column_count();
                let mut rows = stmt.query(rusqlite::params_from_iter(params.iter().map(sqlite_value)))?;
                while let Some(r) = rows.next()? {
                    let mut row = Vec::with_capacity(n);
                    for i in 0..n {
                        row.push(sqlite_column(r.get_ref(i)?));
                    }
                    each(&Row(row))?;
                }
                Ok(())
            }
            Db::Postgres(client) => {
                let sql = dollar_params(sql);
                let stmt = client.prepare(&sql).with_context(|| format!("PostgreSQL refused the query {sql}"))?;
                let typed = pg_params(stmt.params(), params)?;
                let mut rows = client.query_raw(&stmt, typed.iter().map(|b| b.as_ref() as &dyn ToSql))?;
                while let Some(r) = rows.next()? {
                    let mut row = Vec::with_capacity(r.len());
                    for (i, col) in r.columns().iter().enumerate() {
                        row.push(pg_value(&r, i, col.type_())?);
                    }
                    each(&Row(row))?;
                }
                Ok(())
            }
        }
    }

    /// Every row of `sql`.
    pub fn query(&mut self, sql: &str, params: &[Value]) -> anyhow::Result<Vec<Row>> {
        let mut out = Vec::new();
        self.for_each(sql, params, |r| {
            out.push(r.clone());
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row of `sql`, if there is one.
    pub fn query_opt(&mut self, sql: &str, params: &[Value]) -> anyhow::Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The first row of `sql`, which must have one.
    pub fn query_one(&mut self, sql: &str, params: &[Value]) -> anyhow::Result<Row> {
        self.query_opt(sql, params)?.with_context(|| format!("no row from {sql}"))
    }

    /// Run a statement that returns no rows; how many rows it changed.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> anyhow::Result<u64> {
        match self {
            Db::Sqlite(conn) => {
                let mut stmt = conn.prepare_cached(sql)?;
                Ok(stmt.execute(rusqlite::params_from_iter(params.iter().map(sqlite_value)))? as u64)
            }
            Db::Postgres(client) => {
                let sql = dollar_params(sql);
                let stmt = client.prepare(&sql).with_context(|| format!("PostgreSQL refused the statement {sql}"))?;
                let typed = pg_params(stmt.params(), params)?;
                let refs: Vec<&(dyn ToSql + Sync)> = typed.iter().map(|b| b.as_ref()).collect();
                Ok(client.execute(&stmt, &refs)?)
            }
        }
    }
}

/// How many rows a PostgreSQL [`Cursor`] fetches at a time.
pub const CURSOR_BATCH: i32 = 1024;

/// What a PostgreSQL cursor needs of its transaction (so a [`Cursor`]
/// names one lifetime, not the transaction's and the connection's).
trait Portals {
    fn fetch(&mut self, portal: &postgres::Portal, max: i32) -> Result<Vec<postgres::Row>, postgres::Error>;
}

impl Portals for postgres::Transaction<'_> {
    fn fetch(&mut self, portal: &postgres::Portal, max: i32) -> Result<Vec<postgres::Row>, postgres::Error> {
        self.query_portal(portal, max)
    }
}

/// The rows of one query, read one at a time beside other queries' (see
/// [`Db::with_cursors`]).
pub struct Cursor<'c>(Inner<'c>);

enum Inner<'c> {
    Sqlite(rusqlite::Rows<'c>),
    Postgres {
        tx: &'c RefCell<dyn Portals + 'c>,
        portal: postgres::Portal,
        buf: VecDeque<postgres::Row>,
        current: Option<postgres::Row>,
        done: bool,
    },
}

impl Cursor<'_> {
    /// The next row, if there is one.
    pub fn next_row(&mut self) -> anyhow::Result<Option<RowRef<'_>>> {
        match &mut self.0 {
            Inner::Sqlite(rows) => Ok(rows.next()?.map(RowRef::Sqlite)),
            Inner::Postgres { tx, portal, buf, current, done } => {
                if buf.is_empty() && !*done {
                    let rows = tx.borrow_mut().fetch(portal, CURSOR_BATCH)?;
                    *done = rows.len() < CURSOR_BATCH as usize;
                    buf.extend(rows);
                }
                *current = buf.pop_front();
                Ok(current.as_ref().map(RowRef::Postgres))
            }
        }
    }
}

/// A row as a [`Cursor`] reads it, its columns converted only when asked for.
pub enum RowRef<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r postgres::Row),
}

impl RowRef<'_> {
    /// Column `i` as a [`Value`].
    pub fn value(&self, i: usize) -> anyhow::Result<Value> {
        match self {
            RowRef::Sqlite(r) => Ok(sqlite_column(r.get_ref(i)?)),
            RowRef::Postgres(r) => {
                let col = r.columns().get(i).with_context(|| format!("the query has no column {i}"))?;
                pg_value(r, i, col.type_())
            }
        }
    }

    /// Column `i`, a blob, as bytes borrowed from the row (no copy).
    pub fn bytes(&self, i: usize) -> anyhow::Result<&[u8]> {
        match self {
            RowRef::Sqlite(r) => Ok(r.get_ref(i)?.as_blob()?),
            RowRef::Postgres(r) => Ok(r.try_get::<_, &[u8]>(i)?),
        }
    }

    /// Column `i` as a `T`, as [`Row::get`] says.
    pub fn get<T: FromValue>(&self, i: usize) -> anyhow::Result<T> {
        T::from_owned(self.value(i)?)
            .map_err(|v| anyhow::anyhow!("column {i} holds {v:?}, not a {}", std::any::type_name::<T>()))
    }
}

fn sqlite_column(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

fn sqlite_value(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match v {
        Value::Null => V::Null,
        Value::Int(i) => V::Integer(*i),
        Value::Real(f) => V::Real(*f),
        Value::Text(s) => V::Text(s.clone()),
        Value::Blob(b) => V::Blob(b.clone()),
    }
}

/// `?1`, `?2`, ... as PostgreSQL's `$1`, `$2`, ..., leaving quoted text and
/// names alone.
pub fn dollar_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                out.push(c);
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' && chars.peek().is_some_and(|d| d.is_ascii_digit()) => out.push('$'),
            None => out.push(c),
        }
    }
    out
}

/// The values typed as the statement's parameters (PostgreSQL checks each
/// parameter's type, a NULL's too).
fn pg_params(types: &[Type], values: &[Value]) -> anyhow::Result<Vec<Box<dyn ToSql + Sync>>> {
    if types.len() != values.len() {
        bail!("the statement takes {} parameters, {} given", types.len(), values.len());
    }
    types
        .iter()
        .zip(values)
        .map(|(ty, v)| -> anyhow::Result<Box<dyn ToSql + Sync>> {
            Ok(match (v, ty) {
                (Value::Null, &Type::INT8) => Box::new(None::<i64>),
                (Value::Null, &Type::INT4) => Box::new(None::<i32>),
                (Value::Null, &Type::INT2) => Box::new(None::<i16>),
                (Value::Null, &Type::FLOAT8) => Box::new(None::<f64>),
                (Value::Null, &Type::BYTEA) => Box::new(None::<Vec<u8>>),
                (Value::Null, _) => Box::new(None::<String>),
                (Value::Int(i), &Type::INT4) => Box::new(i32::try_from(*i)?),
                (Value::Int(i), &Type::INT2) => Box::new(i16::try_from(*i)?),
                (Value::Int(i), &Type::FLOAT8) => Box::new(*i as f64),
                (Value::Int(i), &Type::TEXT) => Box::new(i.to_string()),
                (Value::Int(i), _) => Box::new(*i),
                (Value::Real(f), _) => Box::new(*f),
                (Value::Text(s), _) => Box::new(s.clone()),
                (Value::Blob(b), _) => Box::new(b.clone()),
            })
        })
        .collect()
}

/// Column `i` of a PostgreSQL row as a [`Value`].
fn pg_value(r: &postgres::Row, i: usize, ty: &Type) -> anyhow::Result<Value> {
    let v = match *ty {
        Type::INT8 => r.try_get::<_, Option<i64>>(i)?.into(),
        Type::INT4 => r.try_get::<_, Option<i32>>(i)?.map(i64::from).into(),
        Type::INT2 => r.try_get::<_, Option<i16>>(i)?.map(i64::from).into(),
        Type::BOOL => r.try_get::<_, Option<bool>>(i)?.map(i64::from).into(),
        Type::FLOAT8 => r.try_get::<_, Option<f64>>(i)?.map_or(Value::Null, Value::Real),
        Type::FLOAT4 => r.try_get::<_, Option<f32>>(i)?.map_or(Value::Null, |f| Value::Real(f64::from(f))),
        Type::BYTEA => r.try_get::<_, Option<Vec<u8>>>(i)?.into(),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => r.try_get::<_, Option<String>>(i)?.into(),
        ref other => bail!(
            "column {i} is PostgreSQL type {other}, which the map's queries do not use: cast it (e.g. CAST(sum(x) AS BIGINT))"
        ),
    };
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positional_parameters_become_dollars_outside_quotes() {
        assert_eq!(
            dollar_params("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND \"?3\" = ?12 AND d = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND \"?3\" = $12 AND d = ?"
        );
    }

    #[test]
    fn sqlite_round_trip() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t(i INTEGER, r REAL, s TEXT, b BLOB)").unwrap();
        let mut db = Db::Sqlite(&conn);
        assert_eq!(db.dialect(), Dialect::Sqlite);
        let n = db
            .execute(
                "INSERT INTO t VALUES (?1, ?2, ?3, ?4), (?5, NULL, NULL, NULL)",
                &[Value::Int(7), Value::Real(0.5), "x".into(), vec![1u8, 2].into(), Value::Int(8)],
            )
            .unwrap();
        assert_eq!(n, 2);
        let rows = db.query("SELECT i, r, s, b FROM t WHERE i >= ?1 ORDER BY i", &[Value::Int(7)]).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get::<i64>(0).unwrap(), 7);
        assert_eq!(rows[0].get::<f64>(1).unwrap(), 0.5);
        assert_eq!(rows[0].get::<String>(2).unwrap(), "x");
        assert_eq!(rows[0].get::<Vec<u8>>(3).unwrap(), vec![1, 2]);
        assert_eq!(rows[1].get::<Option<String>>(2).unwrap(), None);
        let e = rows[1].get::<String>(2).unwrap_err();
        assert!(e.to_string().contains("column 2 holds Null"), "{e}");
        assert!(db.query_opt("SELECT i FROM t WHERE i = ?1", &[Value::Int(99)]).unwrap().is_none());
    }

    #[test]
    fn cursors_are_read_side_by_side() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t(i INTEGER, s TEXT, b BLOB); INSERT INTO t VALUES (1, 'a', x'01'), (2, NULL, x'0203'), (3, 'c', x'');",
        )
        .unwrap();
        let mut db = Db::Sqlite(&conn);
        let (up, down) = ("SELECT i, s, b FROM t WHERE i >= ?1 ORDER BY i", "SELECT i FROM t ORDER BY i DESC");
        let read = db
            .with_cursors(&[(up, &[Value::Int(2)]), (down, &[])], |mut c| {
                let mut b = c.pop().unwrap();
                let mut a = c.pop().unwrap();
                let mut out = Vec::new();
                while let Some(r) = a.next_row()? {
                    let s: Option<String> = r.get(1)?;
                    let other: i64 = b.next_row()?.unwrap().get(0)?;
                    out.push((r.get::<i64>(0)?, s, other, r.bytes(2)?.to_vec()));
                    assert!(r.get::<String>(0).unwrap_err().to_string().contains("column 0 holds Int"));
                }
                assert!(b.next_row()?.is_some(), "one row left");
                assert!(b.next_row()?.is_none());
                Ok(out)
            })
            .unwrap();
        assert_eq!(read, [(2, None, 3, vec![2, 3]), (3, Some("c".to_string()), 2, vec![])]);
    }
}
