//! `&Pool` and `&mut Connection` as sqlx executors, handing each query to sqlx's Any driver: a held connection
//! runs it itself, the pool on a connection of its own (on SQLite the writer's when the query may write). What
//! each ends with is noted for the server's reachability ([`super::reach`]); the pool answers at once while the
//! server is out of reach.

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
        let rows = match &mut self.link {
            Link::Plain(conn) => (&mut **conn).fetch_many(query),
            Link::Tx(tx) => (&mut **tx).fetch_many(query),
        };
        self.reach.noting_rows(rows)
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<AnyRow>, Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        let done = match &mut self.link {
            Link::Plain(conn) => (&mut **conn).fetch_optional(query),
            Link::Tx(tx) => (&mut **tx).fetch_optional(query),
        };
        self.reach.noting(done)
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, Result<AnyStatement<'q>, Error>>
    where
        'c: 'e,
    {
        let done = match &mut self.link {
            Link::Plain(conn) => (&mut **conn).prepare_with(sql, parameters),
            Link::Tx(tx) => (&mut **tx).prepare_with(sql, parameters),
        };
        self.reach.noting(done)
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, Result<Describe<Any>, Error>>
    where
        'c: 'e,
    {
        let done = match &mut self.link {
            Link::Plain(conn) => (&mut **conn).describe(sql),
            Link::Tx(tx) => (&mut **tx).describe(sql),
        };
        self.reach.noting(done)
    }
}

impl<'p> Executor<'p> for &'p Pool {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Any>,
    {
        let rows = self.for_sql(query.sql()).fetch_many(query);
        self.reach.guarding_rows(rows)
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<AnyRow>, Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Any>,
    {
        self.reach.guarding(self.for_sql(query.sql()).fetch_optional(query))
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, Result<AnyStatement<'q>, Error>>
    where
        'p: 'e,
    {
        self.reach.guarding(self.for_sql(sql).prepare_with(sql, parameters))
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, Result<Describe<Any>, Error>>
    where
        'p: 'e,
    {
        self.reach.guarding(self.for_sql(sql).describe(sql))
    }
}
