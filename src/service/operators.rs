//! Operator accounts: add, list, disable, change role, reset PIN. Admins only, except the very
//! first operator, which anyone may add (it must be an admin) to leave single-user mode.

use super::access::{Right, Role};
use super::people::{Actor, check_name, hash_pin};
use super::{Service, ServiceError};
use crate::aps::field::Field;
use crate::aps::secret::Secret;
use crate::journal::{OperatorChange, OperatorRecord};

/// An operator as listed (never the PIN's hash).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OperatorInfo {
    pub name: String,
    pub role: String,
    pub disabled: bool,
    pub locked_until: Option<chrono::DateTime<chrono::Utc>>,
}

impl Service {
    /// Adds an operator with a new PIN. The first must be an admin.
    ///
    /// # Errors
    /// Not allowed (admins only, once operators exist), a bad name or short PIN, a taken name.
    pub async fn add_operator(&self, name: &str, role: Role, pin: &Secret) -> Result<(), ServiceError> {
        let actor = self.operators_admin().await?;
        let name = check_name(name)?;
        let hash = hash_blocking(pin).await?;
        let record = OperatorRecord {
            name: name.clone(),
            role: role.as_str().to_owned(),
            pin_hash: hash,
            disabled: false,
            failed_pins: 0,
            locked_until: None,
            created_at: chrono::Utc::now(),
        };
        let bootstrap = actor.role.is_none();
        self.journal(move |j| j.add_operator(&record, Role::Admin.as_str(), bootstrap)).await?;
        self.forget_operators_defined();
        self.note_for(&actor, "operator-add", &format!("{name} as {role}")).await;
        Ok(())
    }

    /// Every operator, by name.
    ///
    /// # Errors
    /// Not allowed (admins only, once operators exist), or the journal fails.
    pub async fn operator_list(&self) -> Result<Vec<OperatorInfo>, ServiceError> {
        self.allow(Right::Operators).await?;
        let all = self.journal(|j| j.operators()).await?;
        Ok(all
            .into_iter()
            .map(|o| OperatorInfo {
                name: o.name,
                role: o.role,
                disabled: o.disabled,
                locked_until: o.locked_until.filter(|u| *u > chrono::Utc::now()),
            })
            .collect())
    }

    /// Disables (or enables again) an operator: they can no longer sign in.
    ///
    /// # Errors
    /// Not allowed, unknown operator, or it would leave no admin who can sign in.
    pub async fn set_operator_disabled(&self, name: &str, disabled: bool) -> Result<(), ServiceError> {
        let actor = self.operators_admin().await?;
        let name = check_name(name)?;
        if disabled {
            self.keep_an_admin(&name).await?;
        }
        let change = OperatorChange { disabled: Some(disabled), ..Default::default() };
        let n = name.clone();
        self.journal(move |j| j.change_operator(&n, &change)).await?;
        let action = if disabled { "operator-disable" } else { "operator-enable" };
        self.note_for(&actor, action, &name).await;
        Ok(())
    }

    /// Gives an operator another role.
    ///
    /// # Errors
    /// Not allowed, unknown operator, or it would leave no admin who can sign in.
    pub async fn set_operator_role(&self, name: &str, role: Role) -> Result<(), ServiceError> {
        let actor = self.operators_admin().await?;
        let name = check_name(name)?;
        if role != Role::Admin {
            self.keep_an_admin(&name).await?;
        }
        let change = OperatorChange { role: Some(role.as_str().to_owned()), ..Default::default() };
        let n = name.clone();
        self.journal(move |j| j.change_operator(&n, &change)).await?;
        self.note_for(&actor, "operator-role", &format!("{name} to {role}")).await;
        Ok(())
    }

    /// Sets a new PIN for an operator (and lifts a lockout).
    ///
    /// # Errors
    /// Not allowed, unknown operator, or a short PIN.
    pub async fn reset_operator_pin(&self, name: &str, pin: &Secret) -> Result<(), ServiceError> {
        let actor = self.operators_admin().await?;
        let name = check_name(name)?;
        let change = OperatorChange { pin_hash: Some(hash_blocking(pin).await?), ..Default::default() };
        let n = name.clone();
        self.journal(move |j| j.change_operator(&n, &change)).await?;
        self.note_for(&actor, "operator-reset-pin", &name).await;
        Ok(())
    }

    /// An admin signed in; before any operator exists, whoever is at the desk.
    async fn operators_admin(&self) -> Result<Actor, ServiceError> {
        self.allow(Right::Operators).await
    }

    /// Refuses a change that would leave no enabled admin apart from `name`.
    async fn keep_an_admin(&self, name: &str) -> Result<(), ServiceError> {
        let all = self.journal(|j| j.operators()).await?;
        if !all.iter().any(|o| o.name != name && o.role == Role::Admin.as_str() && !o.disabled) {
            return Err(ServiceError::invalid(
                Field::Operator,
                format!("{name} is the only admin who can sign in: make another operator an admin first"),
            ));
        }
        Ok(())
    }

    async fn note_for(&self, actor: &Actor, action: &str, detail: &str) {
        let entry = self.entry(&actor.name, action, "ok", detail);
        self.audit(entry).await;
    }
}

async fn hash_blocking(pin: &Secret) -> Result<String, ServiceError> {
    let pin = pin.clone();
    tokio::task::spawn_blocking(move || hash_pin(&pin))
        .await
        .map_err(|e| ServiceError::Journal(format!("the PIN could not be hashed: {e}")))?
}
