//! `recordings archive --to s3://bucket/prefix`: S3-compatible object storage through
//! `object_store`. A file is uploaded from its verified local copy as a multipart
//! upload read in [`PART_SIZE`] chunks (memory stays bounded whatever the file's size),
//! its SHA-256 computed over the bytes as they are sent. The digest goes on the object
//! as `x-amz-meta-sha256` and into the manifest object beside the files, so a re-run
//! recognises a finished object without downloading the file again.
//! Credentials come from the standard AWS variables and are never printed.

use std::path::Path as FsPath;
use std::sync::Arc;

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::{Path, PathPart};
use object_store::{
    Attribute, AttributeValue, Attributes, GetOptions, ObjectStore, ObjectStoreExt, PutMultipartOptions,
    PutPayload, WriteMultipart,
};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use super::download::MANIFEST_NAME;

/// Bytes per multipart part (S3 wants at least 5 MiB for every part but the last).
pub const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts of one upload in flight at once.
const PARTS_IN_FLIGHT: usize = 2;
/// The object metadata key that holds the SHA-256 of the object's bytes.
const SHA_KEY: &str = "sha256";

/// A bucket and key prefix.
pub struct S3Dest {
    store: Arc<AmazonS3>,
    prefix: Vec<String>,
    pub shown: String,
}

/// An object already in the bucket: its size and the SHA-256 recorded with it.
#[derive(Debug)]
pub struct Existing {
    pub size: u64,
    pub sha256: Option<String>,
}

fn describe(e: &object_store::Error) -> String {
    // object_store's messages name the bucket and key, never the credentials.
    e.to_string()
}

impl S3Dest {
    /// `s3://bucket/prefix`; the endpoint and region from the flags or AWS variables.
    pub fn open(url: &str, endpoint: Option<&str>, region: Option<&str>) -> Result<S3Dest, String> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{url}: not an s3:// address"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("{url}: no bucket name (use s3://BUCKET/PREFIX)"));
        }
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(e) = endpoint {
            builder = builder.with_endpoint(e);
        }
        let endpoint = endpoint
            .map(str::to_string)
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
            .or_else(|| std::env::var("AWS_ENDPOINT").ok());
        if endpoint.as_deref().is_some_and(|e| e.starts_with("http://")) {
            builder = builder.with_allow_http(true);
        }
        if let Some(r) = region {
            builder = builder.with_region(r);
        } else if std::env::var("AWS_REGION").is_err() && std::env::var("AWS_DEFAULT_REGION").is_err() {
            builder = builder.with_region("us-east-1");
        }
        let store = builder
            .build()
            .map_err(|e| format!("cannot use {url}: {}", describe(&e)))?;
        Ok(S3Dest {
            store: Arc::new(store),
            prefix: prefix
                .split('/')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
            shown: url.trim_end_matches('/').to_string(),
        })
    }

    /// The object key for a path relative to the prefix (`a/b/c.mp4`).
    pub fn key(&self, relative: &str) -> Path {
        self.prefix
            .iter()
            .map(String::as_str)
            .chain(relative.split('/').filter(|p| !p.is_empty()))
            .map(PathPart::from)
            .collect()
    }

    pub fn address(&self, key: &Path) -> String {
        let bucket = self
            .shown
            .trim_start_matches("s3://")
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        format!("s3://{bucket}/{key}")
    }

    /// The object at `key`, if there is one.
    pub async fn existing(&self, key: &Path) -> Result<Option<Existing>, String> {
        match self.store.get_opts(key, GetOptions::new().with_head(true)).await {
            Ok(got) => Ok(Some(Existing {
                size: got.meta.size,
                sha256: got
                    .attributes
                    .get(&Attribute::Metadata(SHA_KEY.into()))
                    .map(|v| v.as_ref().to_string()),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(describe(&e)),
        }
    }

    /// Uploads `file` to `key` as a streamed multipart upload and checks it: the bytes
    /// sent hash to `sha256` and the stored object has `size` bytes.
    pub async fn upload(&self, file: &FsPath, key: &Path, size: u64, sha256: &str) -> Result<(), String> {
        let mut attributes = Attributes::new();
        attributes.insert(
            Attribute::Metadata(SHA_KEY.into()),
            AttributeValue::from(sha256.to_string()),
        );
        let opts = PutMultipartOptions {
            attributes,
            ..Default::default()
        };
        let upload = self
            .store
            .put_multipart_opts(key, opts)
            .await
            .map_err(|e| describe(&e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let sent = async {
            let mut f = tokio::fs::File::open(file)
                .await
                .map_err(|e| format!("{}: {e}", file.display()))?;
            let mut hasher = Sha256::new();
            let mut total = 0u64;
            let mut buf = vec![0u8; 1024 * 1024];
            loop {
                let n = f
                    .read(&mut buf)
                    .await
                    .map_err(|e| format!("{}: {e}", file.display()))?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                total = total.saturating_add(n as u64);
                writer
                    .wait_for_capacity(PARTS_IN_FLIGHT)
                    .await
                    .map_err(|e| describe(&e))?;
                writer.write(&buf[..n]);
            }
            Ok::<_, String>((total, hex::encode(hasher.finalize())))
        }
        .await;
        let (total, digest) = match sent {
            Ok(v) => v,
            Err(e) => {
                let _ = writer.abort().await;
                return Err(e);
            }
        };
        if total != size || digest != sha256 {
            let _ = writer.abort().await;
            return Err(format!(
                "the local copy changed before upload ({total} bytes, sha256 {digest}; expected {size}, {sha256})"
            ));
        }
        writer.finish().await.map_err(|e| describe(&e))?;
        match self.existing(key).await? {
            Some(found) if found.size == size => Ok(()),
            Some(found) => Err(format!(
                "the bucket holds {} bytes after the upload, expected {size}",
                found.size
            )),
            None => Err("the object is not in the bucket after the upload".into()),
        }
    }

    /// The manifest object's lines, or none.
    pub async fn read_manifest(&self) -> Result<String, String> {
        match self.store.get(&self.key(MANIFEST_NAME)).await {
            Ok(got) => {
                let bytes = got.bytes().await.map_err(|e| describe(&e))?;
                Ok(String::from_utf8_lossy(&bytes).into_owned())
            }
            Err(object_store::Error::NotFound { .. }) => Ok(String::new()),
            Err(e) => Err(describe(&e)),
        }
    }

    /// Replaces the manifest object (S3 cannot append).
    pub async fn write_manifest(&self, text: String) -> Result<(), String> {
        self.store
            .put(&self.key(MANIFEST_NAME), PutPayload::from(text.into_bytes()))
            .await
            .map(|_| ())
            .map_err(|e| describe(&e))
    }
}
