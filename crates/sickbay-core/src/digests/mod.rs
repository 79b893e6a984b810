//! Staff digests: each morning the pharmacists hear of low and expiring stock, each Monday the admins of the
//! week (appointments, no-shows, the busiest hour, stock, messages that failed). In their bells, and by email
//! to those who keep "digests by email" on. Above the features it reads; a run happens once a day.

pub mod model;
pub mod repo;

use chrono::Duration as Days;

use crate::audit::{self, AuditEntry};
use crate::db::{Date, Db, Timestamp, Tx};
use crate::error::ServiceError;
use crate::identity::{Actor, Role};
use crate::notify::{self, Recipient};
use crate::outbox::model::{Channel, Kind};
use crate::outbox::service::{self as outbox, Context, Notice};

/// Writes the digests due at `now` (the clock is the caller's); how many people were told.
pub async fn send_due(db: &Db, now: Timestamp) -> Result<usize, ServiceError> {
    let context = Context::read(db).await?;
    let Some((today, monday)) = model::due(now, context.zone) else {
        return Ok(0);
    };
    let mut told = stock_digest(db, &context, Date(today), now).await?;
    if monday {
        told += weekly_summary(db, &context, Date(today)).await?;
    }
    Ok(told)
}

async fn stock_digest(db: &Db, context: &Context, today: Date, now: Timestamp) -> Result<usize, ServiceError> {
    let alerts = crate::pharmacy::service::alerts(db, today, now).await?;
    let Some((subject, body)) = model::stock_digest(&alerts.low, &alerts.expiring, &alerts.expired) else {
        return Ok(0);
    };
    let digest = Digest {
        name: "stock",
        role: Role::Pharmacist,
        subject,
        body,
        link: "/pharmacy",
    };
    digest.send(db, context, today).await
}

async fn weekly_summary(db: &Db, context: &Context, today: Date) -> Result<usize, ServiceError> {
    let from = Date(today.0 - Days::days(7));
    let (appointments, no_shows) = repo::appointments_between(db, from, today).await?;
    let arrivals = repo::arrivals_between(db, from, today).await?;
    let stock = crate::pharmacy::service::alert_counts(db, today).await?;
    let failed = outbox::unsent(db).await?.failed;
    let week = model::Week {
        appointments,
        no_shows,
        busiest_hour: model::busiest_hour(&arrivals, context.zone),
        low_stock: stock.low,
        expiring: stock.expiring,
        failed_messages: failed,
    };
    let (subject, body) = model::weekly_summary(&week);
    let digest = Digest {
        name: "week",
        role: Role::Admin,
        subject,
        body,
        link: "/admin/reports",
    };
    digest.send(db, context, today).await
}

struct Digest {
    name: &'static str,
    role: Role,
    subject: String,
    body: String,
    link: &'static str,
}

impl Digest {
    /// Claims the day's run and tells every holder of the role, in one transaction.
    async fn send(&self, db: &Db, context: &Context, today: Date) -> Result<usize, ServiceError> {
        let mut tx = db.begin_write().await?;
        if !repo::claim(&mut tx, self.name, today).await? {
            return Ok(0);
        }
        let readers = repo::holders_of(&mut tx, self.role).await?;
        for reader in &readers {
            self.tell(&mut tx, context, today, reader).await?;
        }
        let entry = AuditEntry::new("digest.send").detail(format!("{} digest to {} staff", self.name, readers.len()));
        audit::record(&mut tx, &Actor::system("digests"), entry).await?;
        tx.commit().await?;
        Ok(readers.len())
    }

    async fn tell(
        &self,
        tx: &mut Tx,
        context: &Context,
        today: Date,
        reader: &repo::Reader,
    ) -> Result<(), sqlx::Error> {
        notify::notify(tx, Recipient::Staff(reader.id), &self.body, self.link).await?;
        let Some(email) = reader
            .email()
            .filter(|_| context.messages.sends(Kind::Digest, Channel::Email))
        else {
            return Ok(());
        };
        let notice = Notice {
            kind: Kind::Digest,
            about: format!("{}:{today}:{}", self.name, reader.id),
            subject: self.subject.clone(),
            body: self.body.clone(),
            link: self.link.to_owned(),
            record: ("staff", reader.id),
            stale_after: None,
        };
        outbox::write(tx, None, Channel::Email, email, notice).await?;
        Ok(())
    }
}

/// Turns a staff member's digests by email on or off (in their bell they always are).
pub async fn set_by_email(db: &Db, actor: &Actor, staff_id: i64, by_email: bool) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    if !repo::set_digest_by_email(&mut tx, staff_id, by_email).await? {
        return Err(ServiceError::NotFound);
    }
    let entry = AuditEntry::new("staff.digests")
        .record("staff", staff_id)
        .detail(if by_email { "by email" } else { "in the bell only" });
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the staff member wants their digests by email, and whether they have an address for it.
pub async fn by_email(db: &Db, staff_id: i64) -> Result<(bool, bool), ServiceError> {
    Ok(repo::digest_by_email(db, staff_id).await?)
}
