//! `&Pool` and `&mut Connection` as sqlx executors: each query goes to the backend's own (SQLite's on the
//! calling task, PostgreSQL's through sqlx's Any driver).

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use sqlx::any::{AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo};
use sqlx::{Any, Describe, Either, Error, Execute, Executor};

use super::{Connection, Link, Pool};

impl<'c> Executor<'c> for &'c mut Connection {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match &mut self.link {
            Link::Sqlite(conn) => conn.fetch_many(query),
            Link::Postgres(conn) => (&mut **conn).fetch_many(query),
            Link::PostgresTx(tx) => (&mut **tx).fetch_many(query),
        }
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<AnyRow>, Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match &mut self.link {
            Link::Sqlite(conn) => conn.fetch_optional(query),
            Link::Postgres(conn) => (&mut **conn).fetch_optional(query),
            Link::PostgresTx(tx) => (&mut **tx).fetch_optional(query),
        }
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, Result<AnyStatement<'q>, Error>>
    where
        'c: 'e,
    {
        match &mut self.link {
            Link::Sqlite(conn) => conn.prepare_with(sql, parameters),
            Link::Postgres(conn) => (&mut **conn).prepare_with(sql, parameters),
            Link::PostgresTx(tx) => (&mut **tx).prepare_with(sql, parameters),
        }
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, Result<Describe<Any>, Error>>
    where
        'c: 'e,
    {
        match &mut self.link {
            Link::Sqlite(conn) => conn.describe(sql),
            Link::Postgres(conn) => (&mut **conn).describe(sql),
            Link::PostgresTx(tx) => (&mut **tx).describe(sql),
        }
    }
}

impl<'p> Executor<'p> for &'p Pool {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match self {
            Pool::Sqlite(pool) => pool.fetch_many(query),
            Pool::Postgres(pool) => pool.fetch_many(query),
        }
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<AnyRow>, Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match self {
            Pool::Sqlite(pool) => pool.fetch_optional(query),
            Pool::Postgres(pool) => pool.fetch_optional(query),
        }
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, Result<AnyStatement<'q>, Error>>
    where
        'p: 'e,
    {
        match self {
            Pool::Sqlite(pool) => pool.prepare_with(sql, parameters),
            Pool::Postgres(pool) => pool.prepare_with(sql, parameters),
        }
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, Result<Describe<Any>, Error>>
    where
        'p: 'e,
    {
        match self {
            Pool::Sqlite(pool) => pool.describe(sql),
            Pool::Postgres(pool) => pool.describe(sql),
        }
    }
}
