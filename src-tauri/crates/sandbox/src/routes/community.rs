//! Community Management: our company, the partner directory, users and their roles, and
//! entitlements, with the paths of OpenText's collection and the bodies of WIRE.md.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Map, Value};

use super::{check_company, json_body};
use crate::error::ApiError;
use crate::state::{AppState, Bearer};

const BASE: &str = "/TGCommunityServices/v1";

/// The routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(&format!("{BASE}/companies/{{companyId}}"), get(company))
        .route(
            &format!("{BASE}/companies/{{companyId}}/partnerDirectory"),
            get(partners),
        )
        .route(
            &format!("{BASE}/companies/{{companyId}}/users"),
            get(list_users).post(create_user),
        )
        .route(
            &format!("{BASE}/companies/{{companyId}}/users/{{userId}}"),
            get(get_user).put(update_user).delete(delete_user),
        )
        .route(
            &format!("{BASE}/companies/{{companyId}}/users/{{userId}}/roles"),
            get(get_roles).put(update_roles),
        )
        .route(
            &format!("{BASE}/companies/{{companyId}}/entitlements"),
            get(company_entitlements),
        )
        .route(
            &format!("{BASE}/users/{{loginId}}/entitlements"),
            get(user_entitlements),
        )
}

async fn company(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path(company_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_company(&state, &company_id)?;
    state
        .db(move |conn| {
            let data: Option<String> = conn
                .query_row(
                    "SELECT data FROM company WHERE id = ?1",
                    [&company_id],
                    |r| r.get(0),
                )
                .optional()?;
            let data = data.ok_or_else(|| ApiError::not_found("unknown company"))?;
            serde_json::from_str(&data)
                .map(Json)
                .map_err(|e| ApiError::internal(e.to_string()))
        })
        .await
}

async fn partners(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path(company_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    check_company(&state, &company_id)?;
    state
        .db(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, name, status, country, email, addresses FROM partners ORDER BY name",
            )?;
            let rows = stmt.query_map([], |r| {
                let addresses: String = r.get(5)?;
                Ok(json!({
                    "partnerCompanyId": r.get::<_, String>(0)?,
                    "partnerCompanyName": r.get::<_, String>(1)?,
                    "status": r.get::<_, String>(2)?,
                    "countryCode": r.get::<_, Option<String>>(3)?,
                    "contactEmail": r.get::<_, Option<String>>(4)?,
                    "tradingAddresses": serde_json::from_str::<Value>(&addresses).unwrap_or(Value::Array(Vec::new())),
                }))
            })?;
            let name = query.get("partnerCompanyName").map(|s| s.to_lowercase());
            let id = query.get("partnerCompanyId");
            let address = query.get("tradingAddress").map(|s| s.to_lowercase());
            let mut list = Vec::new();
            for row in rows {
                let p = row?;
                let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
                if name.as_ref().is_some_and(|n| !text("partnerCompanyName").to_lowercase().contains(n.as_str())) {
                    continue;
                }
                if id.is_some_and(|i| text("partnerCompanyId") != *i) {
                    continue;
                }
                if let Some(a) = &address {
                    let has = p["tradingAddresses"]
                        .as_array()
                        .is_some_and(|xs| xs.iter().any(|x| x.as_str().is_some_and(|x| x.to_lowercase() == *a)));
                    if !has {
                        continue;
                    }
                }
                list.push(p);
            }
            Ok(Json(json!({ "totalCount": list.len(), "partners": list })))
        })
        .await
}

fn summary(full: &Value) -> Value {
    let mut out = Map::new();
    for key in [
        "userId",
        "loginId",
        "firstName",
        "lastName",
        "email",
        "status",
        "type",
    ] {
        out.insert(
            key.to_string(),
            full.get(key).cloned().unwrap_or(Value::Null),
        );
    }
    Value::Object(out)
}

fn find_user(conn: &Connection, id_or_login: &str) -> Result<Option<(String, Value)>, ApiError> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT user_id, data FROM users WHERE user_id = ?1 OR login_id = ?1",
            [id_or_login],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(id, data)| {
        serde_json::from_str(&data)
            .map(|v| (id, v))
            .map_err(|e| ApiError::internal(e.to_string()))
    })
    .transpose()
}

async fn list_users(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path(company_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    check_company(&state, &company_id)?;
    state
        .db(move |conn| {
            let mut stmt = conn.prepare_cached("SELECT data FROM users ORDER BY login_id")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            let login = query.get("loginId");
            let mut users = Vec::new();
            for row in rows {
                let full: Value =
                    serde_json::from_str(&row?).map_err(|e| ApiError::internal(e.to_string()))?;
                if login.is_some_and(|l| full["loginId"].as_str() != Some(l.as_str())) {
                    continue;
                }
                users.push(summary(&full));
            }
            Ok(Json(json!({ "totalCount": users.len(), "users": users })))
        })
        .await
}

async fn get_user(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path((company_id, user)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    check_company(&state, &company_id)?;
    state
        .db(move |conn| {
            find_user(conn, &user)?
                .map(|(_, v)| Json(v))
                .ok_or_else(|| ApiError::not_found(format!("unknown user {user}")))
        })
        .await
}

const SECRET_KEYS: [&str; 2] = ["loginPassword", "userPasswordHint"];

async fn create_user(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path(company_id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    check_company(&state, &company_id)?;
    let body: Map<String, Value> = json_body(body)?;
    state
        .db(move |conn| {
            let mut user = body;
            for key in SECRET_KEYS {
                user.remove(key);
            }
            for key in ["loginId", "firstName", "lastName"] {
                if user
                    .get(key)
                    .and_then(Value::as_str)
                    .is_none_or(|s| s.trim().is_empty())
                {
                    return Err(ApiError::validation(format!("{key} is required")));
                }
            }
            let login = user["loginId"].as_str().unwrap_or_default().to_string();
            if find_user(conn, &login)?.is_some() {
                return Err(ApiError::conflict(format!(
                    "loginId {login} already exists"
                )));
            }
            let user_id = format!(
                "GCP{}",
                uuid::Uuid::new_v4().simple().to_string()[..10].to_uppercase()
            );
            let email = user
                .get("contactInformation")
                .and_then(|c| c.get("email"))
                .cloned()
                .unwrap_or(Value::Null);
            user.insert("userId".into(), Value::String(user_id.clone()));
            user.entry("email").or_insert(email);
            user.entry("status")
                .or_insert(Value::String("Active".into()));
            user.entry("type").or_insert(Value::String("Web".into()));
            let user = Value::Object(user);
            conn.execute(
                "INSERT INTO users(user_id, login_id, data) VALUES (?1, ?2, ?3)",
                params![user_id, login, user.to_string()],
            )?;
            Ok((StatusCode::CREATED, Json(user)).into_response())
        })
        .await
}

async fn update_user(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path((company_id, user)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    check_company(&state, &company_id)?;
    let patch: Map<String, Value> = json_body(body)?;
    state
        .db(move |conn| {
            let (user_id, mut current) = find_user(conn, &user)?
                .ok_or_else(|| ApiError::not_found(format!("unknown user {user}")))?;
            let object = current
                .as_object_mut()
                .ok_or_else(|| ApiError::internal("user row is not an object"))?;
            for (key, value) in patch {
                if key == "userId" || SECRET_KEYS.contains(&key.as_str()) {
                    continue;
                }
                object.insert(key, value);
            }
            let login = object
                .get("loginId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if login.trim().is_empty() {
                return Err(ApiError::validation("loginId must not be empty"));
            }
            conn.execute(
                "UPDATE users SET login_id = ?2, data = ?3 WHERE user_id = ?1",
                params![user_id, login, current.to_string()],
            )
            .map_err(|_| ApiError::conflict(format!("loginId {login} already exists")))?;
            Ok(Json(current))
        })
        .await
}

async fn delete_user(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path((company_id, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    check_company(&state, &company_id)?;
    state
        .db(move |conn| {
            let (user_id, _) = find_user(conn, &user)?
                .ok_or_else(|| ApiError::not_found(format!("unknown user {user}")))?;
            conn.execute("DELETE FROM user_roles WHERE user_id = ?1", [&user_id])?;
            conn.execute("DELETE FROM users WHERE user_id = ?1", [&user_id])?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

fn roles_of(conn: &Connection, user_id: &str) -> Result<Value, ApiError> {
    let mut stmt =
        conn.prepare_cached("SELECT role FROM user_roles WHERE user_id = ?1 ORDER BY role")?;
    let roles = stmt
        .query_map([user_id], |r| r.get::<_, String>(0))?
        .map(|r| r.map(|name| json!({ "roleName": name })))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Value::Array(roles))
}

async fn get_roles(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path((company_id, login)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    check_company(&state, &company_id)?;
    state
        .db(move |conn| {
            let (user_id, _) = find_user(conn, &login)?
                .ok_or_else(|| ApiError::not_found(format!("unknown user {login}")))?;
            roles_of(conn, &user_id).map(Json)
        })
        .await
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleName {
    role_name: String,
}

async fn update_roles(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path((company_id, login)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    check_company(&state, &company_id)?;
    let add = match query.get("action").map(String::as_str) {
        Some(a) if a.eq_ignore_ascii_case("add") => true,
        Some(a) if a.eq_ignore_ascii_case("remove") => false,
        _ => return Err(ApiError::validation("action must be Add or Remove")),
    };
    let roles: Vec<RoleName> = json_body(body)?;
    state
        .db(move |conn| {
            let (user_id, _) = find_user(conn, &login)?
                .ok_or_else(|| ApiError::not_found(format!("unknown user {login}")))?;
            for role in roles {
                if role.role_name.trim().is_empty() {
                    return Err(ApiError::validation("roleName must not be empty"));
                }
                if add {
                    conn.execute(
                        "INSERT OR IGNORE INTO user_roles(user_id, role) VALUES (?1, ?2)",
                        params![user_id, role.role_name],
                    )?;
                } else {
                    conn.execute(
                        "DELETE FROM user_roles WHERE user_id = ?1 AND role = ?2",
                        params![user_id, role.role_name],
                    )?;
                }
            }
            roles_of(conn, &user_id).map(Json)
        })
        .await
}

fn entitlements() -> Json<Value> {
    Json(json!({"entitlements": [
        {"name": "Lens", "status": "Active"},
        {"name": "Community Management", "status": "Active"},
        {"name": "Trading Grid Messaging Service", "status": "Active"},
    ]}))
}

async fn company_entitlements(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path(company_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_company(&state, &company_id)?;
    Ok(entitlements())
}

async fn user_entitlements(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path(login): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state
        .db(move |conn| {
            find_user(conn, &login)?
                .ok_or_else(|| ApiError::not_found(format!("unknown user {login}")))?;
            Ok(entitlements())
        })
        .await
}
