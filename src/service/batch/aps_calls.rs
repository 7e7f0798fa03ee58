//! Talking to the APS batch service (spec 3.11): one signed call, its answer read as one of
//! four things, and the three steps (upload, ask for results, process) each turned into what
//! the run does next. Every step records the stage it starts before its request leaves.

use super::aps_rows::FileEntry;
use crate::aps::batch::{
    BatchAction, BatchEndpoints, BatchMessage, Results, file_csv, is_results, parse_results,
};
use crate::aps::command::{BatchRequest, Command};
use crate::aps::sign::{self, Algorithm};
use crate::aps::{Operation, Params};
use crate::gateway::{Reply, TransportError};
use crate::journal::ApsStage;
use crate::service::charge::text;
use crate::service::{Ctx, Service, ServiceError};

/// What a batch call's answer is.
#[derive(Debug)]
pub(super) enum BatchReply {
    /// A signed JSON answer to this request, with its response code.
    Answer { code: String, params: Params },
    /// The per-line results file (GET_BATCH_RESULTS once the batch is processed).
    Results(Vec<u8>),
    /// The request cannot have reached APS.
    NotSent(String),
    /// It may have reached APS; the answer was lost or cannot be trusted.
    Unknown(String),
}

/// Reads the result of a batch call. An answer is trusted only when its signature verifies and
/// it repeats the command and the batch reference that were sent. A results file carries no
/// signature (UNKNOWN in the spec): its lines are checked one by one against the rows sent.
pub(super) fn read_batch_reply(
    op: Operation,
    sent: &Params,
    result: Result<Reply, TransportError>,
    response_phrase: &str,
    algorithm: Algorithm,
) -> BatchReply {
    let reply = match result {
        Ok(reply) => reply,
        Err(TransportError::NotDelivered(why)) => return BatchReply::NotSent(why),
        Err(TransportError::OutcomeUnknown(why)) => return BatchReply::Unknown(why),
    };
    if reply.http_status != 200 {
        return BatchReply::Unknown(format!("APS answered with HTTP error {}", reply.http_status));
    }
    if op == Operation::GetBatchResults && is_results(&reply.body) {
        return BatchReply::Results(reply.body.to_vec());
    }
    let params = match serde_json::from_slice::<serde_json::Value>(&reply.body) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => return BatchReply::Unknown("the answer from APS could not be read".into()),
    };
    if sign::verify(&params, response_phrase, algorithm).is_err() {
        return BatchReply::Unknown(
            "the answer's signature did not verify, so it cannot be trusted (check the SHA response phrase and SHA type)"
                .into(),
        );
    }
    for field in [op.command_field(), "batch_reference"] {
        if text(&params, field) != text(sent, field) {
            return BatchReply::Unknown(format!(
                "the answer does not repeat the {} that was sent",
                field.replace('_', " ")
            ));
        }
    }
    let code = text(&params, "response_code").unwrap_or_default();
    BatchReply::Answer { code, params }
}

/// What the run does after a step.
#[derive(Debug)]
pub(super) enum Step {
    /// The stage moved on: take the next step now.
    Next,
    /// APS is working on it (or could not be asked): wait, then ask again.
    Wait(String),
    /// Stop here; running the same command again carries on from the recorded stage.
    Halt(String),
    /// APS refused the file for good: none of its rows was processed.
    Refused { code: String, words: String },
    /// The per-line results.
    Results(Results),
}

/// A batch on its way through APS: its journal id, reference, APS's id and stage.
pub(super) struct Flight {
    pub id: i64,
    pub reference: String,
    pub aps_id: Option<String>,
    pub stage: ApsStage,
    /// The number of rows in the file sent.
    pub rows: usize,
}

/// A batch message's words with its code, for the journal and the results.
fn said(code: &str, message: BatchMessage) -> String {
    format!("{message} (APS code {code})")
}

/// An answer that is no batch message the step expects.
fn unexpected(step: &str, code: &str) -> String {
    let meaning = crate::aps::response::message_text(code.get(2..).unwrap_or_default());
    format!(
        "APS answered the {step} with code {code} ({meaning}); the batch waits at this step: run the same command again, or check the batch in the APS back office"
    )
}

impl Service {
    /// Signs and sends one batch call: JSON to `batchApi`, or multipart with the file to `upload`.
    async fn batch_call(
        &self,
        ctx: &Ctx,
        url: &str,
        op: Operation,
        flight: &Flight,
        file: Option<&[u8]>,
    ) -> Result<BatchReply, ServiceError> {
        let command = Command::Batch(BatchRequest {
            operation: op,
            batch_reference: flight.reference.clone(),
            batch_id: flight.aps_id.clone(),
        });
        let mut params = command
            .to_params(&ctx.merchant())
            .map_err(|e| ServiceError::Invalid { field: e.field, message: e.to_string() })?;
        let signature = sign::sign(&params, ctx.credentials.request_phrase.expose(), ctx.profile.algorithm);
        params.insert("signature".into(), signature.into());
        let gateway = &self.inner.gateway;
        let result = match file {
            Some(bytes) => {
                let name = format!("{}.csv", flight.reference);
                gateway.post_multipart(url, &params, &name, bytes).await
            }
            None => gateway.post_json(url, &params).await,
        };
        let (phrase, algorithm) = (ctx.credentials.response_phrase.expose(), ctx.profile.algorithm);
        Ok(read_batch_reply(op, &params, result, phrase, algorithm))
    }

    /// Records a stage (and APS's batch id once known) before the step it names.
    pub(super) async fn set_stage(
        &self,
        flight: &mut Flight,
        stage: ApsStage,
        aps_id: Option<String>,
    ) -> Result<(), ServiceError> {
        let (id, at) = (flight.id, chrono::Utc::now());
        let recorded = aps_id.clone();
        self.journal(move |j| j.set_aps_stage(id, stage, recorded.as_deref(), at)).await?;
        flight.stage = stage;
        if aps_id.is_some() {
            flight.aps_id = aps_id;
        }
        Ok(())
    }

    /// Records APS's last word on the batch.
    pub(super) async fn note_batch(
        &self,
        flight: &Flight,
        code: Option<&str>,
        words: &str,
    ) -> Result<(), ServiceError> {
        let (id, code, words) = (flight.id, code.map(str::to_owned), words.to_owned());
        self.journal(move |j| j.set_aps_note(id, code.as_deref(), &words)).await
    }

    /// UPLOAD_BATCH_FILE under the batch's one reference. `146` (already uploaded) carries on
    /// with the batch APS has; a lost answer stops the run, and the next run uploads under the
    /// same reference again, which APS can only take once.
    pub(super) async fn upload_step(
        &self,
        ctx: &Ctx,
        endpoints: &BatchEndpoints,
        flight: &mut Flight,
        file: &[FileEntry],
    ) -> Result<Step, ServiceError> {
        self.set_stage(flight, ApsStage::Uploading, None).await?;
        let cells: Vec<_> = file.iter().map(|e| e.cells.clone()).collect();
        let csv = file_csv(&cells);
        let reply = self
            .batch_call(ctx, &endpoints.upload, Operation::UploadBatchFile, flight, Some(csv.as_bytes()))
            .await?;
        let code = match reply {
            BatchReply::Answer { code, params } if code == Operation::UploadBatchFile.success_code() => {
                self.set_stage(flight, ApsStage::Uploaded, text(&params, "batch_id")).await?;
                return Ok(Step::Next);
            }
            BatchReply::Answer { code, .. } => code,
            BatchReply::Results(_) => return Ok(Step::Halt(unexpected("upload", "results file"))),
            BatchReply::NotSent(why) => {
                return Ok(Step::Halt(format!(
                    "the batch file did not reach APS ({why}): run the same command again"
                )));
            }
            BatchReply::Unknown(why) => {
                return Ok(Step::Halt(format!(
                    "no trustworthy answer to the batch upload ({why}): run the same command again; it asks APS under the same batch reference {}, so the file is never taken twice",
                    flight.reference
                )));
            }
        };
        Ok(match BatchMessage::of(&code) {
            Some(m) if m.action() == BatchAction::AlreadyUploaded => {
                self.note_batch(flight, Some(&code), &said(&code, m)).await?;
                self.set_stage(flight, ApsStage::Uploaded, None).await?;
                Step::Next
            }
            Some(m) if proves_nothing_ran(m) => Step::Refused { code: code.clone(), words: said(&code, m) },
            Some(m) => Step::Halt(said(&code, m)),
            None => Step::Halt(unexpected("upload", &code)),
        })
    }

    /// GET_BATCH_RESULTS: the validation result before processing, the results file after.
    pub(super) async fn results_step(
        &self,
        ctx: &Ctx,
        endpoints: &BatchEndpoints,
        flight: &mut Flight,
    ) -> Result<Step, ServiceError> {
        let reply =
            self.batch_call(ctx, &endpoints.batch_api, Operation::GetBatchResults, flight, None).await?;
        let (code, params) = match reply {
            BatchReply::Results(body) => {
                return Ok(match parse_results(&body) {
                    Ok(results) => Step::Results(results),
                    Err(problem) => Step::Wait(format!("{problem}; asking APS again")),
                });
            }
            BatchReply::NotSent(why) | BatchReply::Unknown(why) => {
                return Ok(Step::Wait(format!("APS could not be asked for the batch results ({why})")));
            }
            BatchReply::Answer { code, params } => (code, params),
        };
        if code == Operation::GetBatchResults.success_code() {
            return self.validated(flight, &params).await;
        }
        Ok(match BatchMessage::of(&code) {
            Some(m) if m.action() == BatchAction::Wait => Step::Wait(said(&code, m)),
            Some(m) if proves_nothing_ran(m) => Step::Refused { code: code.clone(), words: said(&code, m) },
            Some(m) if m.action() == BatchAction::NotUploaded && flight.stage == ApsStage::Uploaded => {
                // Sending the file again under the same reference is safe: APS takes a
                // reference once.
                self.set_stage(flight, ApsStage::Uploading, None).await?;
                Step::Wait(said(&code, m))
            }
            Some(m) => Step::Halt(said(&code, m)),
            None => Step::Halt(unexpected("request for results", &code)),
        })
    }

    /// APS checked the file and has not processed it. After a PROCESS_BATCH that went
    /// unanswered, this proves it did not take, so the batch may be processed again.
    async fn validated(&self, flight: &mut Flight, params: &Params) -> Result<Step, ServiceError> {
        let count = text(params, "transactions_count").unwrap_or_default();
        if count != flight.rows.to_string() {
            return Ok(Step::Halt(format!(
                "APS counts {count} transactions in batch {} but the terminal sent {}: nothing was processed; check the batch in the APS back office",
                flight.reference, flight.rows
            )));
        }
        self.set_stage(flight, ApsStage::Validated, None).await?;
        Ok(Step::Next)
    }

    /// PROCESS_BATCH, recorded first: from here on the rows may be charged.
    pub(super) async fn process_step(
        &self,
        ctx: &Ctx,
        endpoints: &BatchEndpoints,
        flight: &mut Flight,
    ) -> Result<Step, ServiceError> {
        self.set_stage(flight, ApsStage::Processing, None).await?;
        let reply = self.batch_call(ctx, &endpoints.batch_api, Operation::ProcessBatch, flight, None).await?;
        let code = match reply {
            BatchReply::Answer { code, .. } => code,
            // The results say whether it took: a validated, unprocessed batch is sent again.
            BatchReply::NotSent(why) | BatchReply::Unknown(why) => {
                return Ok(Step::Wait(format!("no answer to the request to process the batch ({why})")));
            }
            BatchReply::Results(_) => return Ok(Step::Next),
        };
        if code == Operation::ProcessBatch.success_code() || code.ends_with("047") {
            return Ok(Step::Next);
        }
        Ok(match BatchMessage::of(&code) {
            Some(m @ BatchMessage::StillValidating) => {
                self.set_stage(flight, ApsStage::Uploaded, None).await?;
                Step::Wait(said(&code, m))
            }
            Some(m) if m.action() == BatchAction::Wait => Step::Next,
            Some(m) if proves_nothing_ran(m) => Step::Refused { code: code.clone(), words: said(&code, m) },
            Some(m) => Step::Halt(said(&code, m)),
            None => Step::Halt(unexpected("request to process the batch", &code)),
        })
    }
}

/// APS refused the file itself, so none of its rows ran. `154` and `155` refuse a file sent
/// again, which says nothing about the first one: the batch stays in doubt.
fn proves_nothing_ran(message: BatchMessage) -> bool {
    matches!(
        message,
        BatchMessage::ValidationFailed
            | BatchMessage::InvalidExecutionDate
            | BatchMessage::HeaderInvalid
            | BatchMessage::InvalidFile
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(params: &[(&str, &str)]) -> Vec<u8> {
        let mut p = Params::new();
        for (k, v) in params {
            p.insert((*k).to_owned(), (*v).into());
        }
        let signature = sign::sign(&p, "RESP", Algorithm::Sha256);
        p.insert("signature".into(), signature.into());
        serde_json::to_vec(&p).unwrap_or_default()
    }

    fn sent() -> Params {
        let mut p = Params::new();
        p.insert("service_command".into(), "GET_BATCH_RESULTS".into());
        p.insert("batch_reference".into(), "MTB-1".into());
        p
    }

    fn read(status: u16, body: Vec<u8>) -> BatchReply {
        let reply = Reply { http_status: status, body: body.into() };
        read_batch_reply(Operation::GetBatchResults, &sent(), Ok(reply), "RESP", Algorithm::Sha256)
    }

    #[test]
    fn a_signed_answer_to_this_batch_is_read_and_anything_else_is_in_doubt() {
        let good = signed(&[
            ("service_command", "GET_BATCH_RESULTS"),
            ("batch_reference", "MTB-1"),
            ("response_code", "71138"),
        ]);
        assert!(matches!(read(200, good.clone()), BatchReply::Answer { code, .. } if code == "71138"));
        assert!(matches!(read(500, good), BatchReply::Unknown(_)));
        let other = signed(&[
            ("service_command", "GET_BATCH_RESULTS"),
            ("batch_reference", "MTB-2"),
            ("response_code", "70000"),
        ]);
        assert!(matches!(read(200, other), BatchReply::Unknown(why) if why.contains("batch reference")));
        let mut forged = serde_json::from_slice::<serde_json::Value>(&signed(&[
            ("service_command", "GET_BATCH_RESULTS"),
            ("batch_reference", "MTB-1"),
            ("response_code", "77136"),
        ]))
        .unwrap_or_default();
        forged["response_code"] = "70000".into();
        let forged = serde_json::to_vec(&forged).unwrap_or_default();
        assert!(matches!(read(200, forged), BatchReply::Unknown(why) if why.contains("signature")));
        assert!(matches!(read(200, b"not json".to_vec()), BatchReply::Unknown(_)));
        let lost = read_batch_reply(
            Operation::ProcessBatch,
            &sent(),
            Err(TransportError::OutcomeUnknown("reset".into())),
            "RESP",
            Algorithm::Sha256,
        );
        assert!(matches!(lost, BatchReply::Unknown(why) if why == "reset"));
    }

    #[test]
    fn only_the_results_request_reads_a_results_file() {
        let csv = b"Line_Number,response_code\n".to_vec();
        assert!(matches!(read(200, csv.clone()), BatchReply::Results(_)));
        let reply = Reply { http_status: 200, body: csv.into() };
        let upload =
            read_batch_reply(Operation::UploadBatchFile, &sent(), Ok(reply), "RESP", Algorithm::Sha256);
        assert!(matches!(upload, BatchReply::Unknown(_)));
    }

    #[test]
    fn only_a_refused_file_proves_that_no_row_ran() {
        let nothing_ran: Vec<&str> = BatchMessage::ALL
            .into_iter()
            .filter(|m| proves_nothing_ran(*m))
            .map(BatchMessage::code)
            .collect();
        assert_eq!(nothing_ran, ["136", "137", "142", "144"]);
    }
}
