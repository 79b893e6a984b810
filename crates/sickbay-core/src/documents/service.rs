//! Document operations: an upload is one transaction with its audit row; every reading of a document's
//! content writes a `document.view` audit row before the content is served. `of_patient` is the public read
//! of a patient's documents (details only) for the chart.

use super::model::{DocumentKind, DocumentList, DocumentMeta, Upload, staff_may_use};
use super::repo::{self, NewDocument};
use crate::audit::{self, AuditEntry, Reads};
use crate::consult::model::{Access, Visit};
use crate::consult::service::writable_visit_in;
use crate::db::form_ids::Claim;
use crate::db::{Db, Reader};
use crate::error::ServiceError;
use crate::identity::{Actor, StaffUser};

const UPLOAD: &str = "document.upload";

/// What a document is attached to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attach {
    /// The patient's chart.
    Patient(i64),
    /// A visit: its doctor, while it is open.
    Visit(i64),
}

impl Attach {
    /// The id of the patient or the visit.
    pub fn id(self) -> i64 {
        match self {
            Attach::Patient(id) | Attach::Visit(id) => id,
        }
    }
}

/// Stores a document, once per form: its id.
pub async fn upload(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    attach: Attach,
    upload: &Upload,
    data: &[u8],
) -> Result<i64, ServiceError> {
    if !staff_may_use(user.roles()) {
        return Err(ServiceError::Forbidden);
    }
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, UPLOAD).await? {
        return Ok(id);
    }
    let (patient_id, visit_id) = match attach {
        Attach::Patient(patient_id) => {
            if !crate::patients::service::lock_active(&mut tx, patient_id).await? {
                return Err(ServiceError::NotFound);
            }
            (patient_id, None)
        }
        Attach::Visit(visit_id) => {
            let visit = writable_visit_in(&mut tx, user, visit_id, Access::Write).await?;
            (visit.patient_id, Some(visit.id))
        }
    };
    let new = NewDocument {
        patient_id,
        visit_id,
        title: &upload.title,
        kind: upload.kind,
        data,
        uploaded_by: user.id,
    };
    let id = repo::insert(&mut tx, &new).await?;
    let entry = AuditEntry::new(UPLOAD)
        .record("document", id)
        .patient(patient_id)
        .detail(format!(
            "{} ({}, {} bytes)",
            upload.title,
            upload.kind.label(),
            data.len()
        ));
    audit::record_form(&mut tx, actor, entry, UPLOAD, id).await?;
    tx.commit().await?;
    Ok(id)
}

/// A document's details and content for a member of staff who may read documents, audited.
pub async fn open(
    db: &Db,
    reads: &Reads,
    user: &StaffUser,
    actor: &Actor,
    id: i64,
) -> Result<(DocumentMeta, Vec<u8>), ServiceError> {
    if !staff_may_use(user.roles()) {
        return Err(ServiceError::Forbidden);
    }
    let meta = repo::meta(db, id).await?.ok_or(ServiceError::NotFound)?;
    served(db, reads, actor, meta).await
}

/// The patient's own document, audited; someone else's is not found.
pub async fn open_own(
    db: &Db,
    reads: &Reads,
    actor: &Actor,
    patient_id: i64,
    id: i64,
) -> Result<(DocumentMeta, Vec<u8>), ServiceError> {
    let meta = repo::meta_of_patient(db, id, patient_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    served(db, reads, actor, meta).await
}

async fn served(
    db: &Db,
    reads: &Reads,
    actor: &Actor,
    meta: DocumentMeta,
) -> Result<(DocumentMeta, Vec<u8>), ServiceError> {
    let data = repo::content(db, meta.id).await?.ok_or(ServiceError::NotFound)?;
    // The stored type is checked again: what is served is what the bytes are.
    if DocumentKind::sniff(&data) != Some(meta.mime) {
        return Err(ServiceError::Internal(anyhow::anyhow!(
            "document {} does not hold what its type says",
            meta.id
        )));
    }
    let entry = AuditEntry::new("document.view")
        .record("document", meta.id)
        .patient(meta.patient_id);
    reads.record(actor, entry).await?;
    Ok((meta, data))
}

/// A patient's documents (details only, never the content), newest first: for the chart and the portal.
pub async fn of_patient(db: impl Reader, patient_id: i64) -> Result<Vec<DocumentMeta>, ServiceError> {
    Ok(repo::of_patient(db, patient_id).await?)
}

/// The documents attached to a visit, newest first.
pub async fn of_visit(db: &Db, visit_id: i64) -> Result<Vec<DocumentMeta>, ServiceError> {
    Ok(repo::of_visit(db, visit_id).await?)
}

/// The consultation screen's section for `user`.
pub async fn visit_section(db: impl Reader, user: &StaffUser, visit: &Visit) -> Result<DocumentList, ServiceError> {
    Ok(DocumentList {
        action: format!("/visits/{}/documents", visit.id),
        view_base: "/documents/",
        documents: repo::of_visit(db, visit.id).await?,
        can_upload: staff_may_use(user.roles()) && visit.allows(user, Access::Write),
        form_id: crate::db::form_ids::FormKey::mint().to_string(),
        ..DocumentList::default()
    })
}

/// Writes the audit row of a member of staff opening a patient's list of documents (their titles are part of the
/// patient's record): before the list is shown.
pub async fn record_list_read(reads: &Reads, actor: &Actor, patient_id: i64) -> Result<(), ServiceError> {
    let entry = AuditEntry::new("document.view_list")
        .record("patient", patient_id)
        .patient(patient_id);
    reads.record(actor, entry).await
}

/// The patient's documents page for `user`.
pub async fn patient_list(db: &Db, user: &StaffUser, patient_id: i64) -> Result<DocumentList, ServiceError> {
    Ok(DocumentList {
        action: format!("/patients/{patient_id}/documents"),
        view_base: "/documents/",
        documents: repo::of_patient(db, patient_id).await?,
        can_upload: staff_may_use(user.roles()),
        form_id: crate::db::form_ids::FormKey::mint().to_string(),
        ..DocumentList::default()
    })
}
