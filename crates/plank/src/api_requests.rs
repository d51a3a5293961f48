//! Counting Kubernetes API requests: a tower layer in the client stack that counts every
//! request by verb and resource ([`crate::metrics::Metrics::api_requests`]), and the
//! client builder that puts it next to prow-kube's rate limit.

use std::task::{Context, Poll};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prow_kube::rate_limit::{RateLimit, RateLimitLayer};
use tower::{Layer, Service};

use crate::metrics::{API_RESOURCES, ApiRequestLabels};

/// Verb (`GET`, `WATCH`, `POST`, ...) and resource (`pods`, `prowjobs/status`, ...) of a
/// request to the Kubernetes API.
pub fn classify(method: &http::Method, uri: &http::Uri) -> ApiRequestLabels {
    let watch = uri
        .query()
        .is_some_and(|query| query.split('&').any(|pair| pair == "watch=true"));
    let verb = if watch {
        "WATCH".to_owned()
    } else {
        method.as_str().to_owned()
    };
    let segments: Vec<&str> = uri.path().split('/').filter(|s| !s.is_empty()).collect();
    // /api/v1/namespaces/<ns>/<resource>[/<name>[/<subresource>]] or the /apis/<group>/<v> form
    let resource = segments
        .iter()
        .position(|s| *s == "namespaces")
        .and_then(|at| {
            let plural = segments.get(at + 2)?;
            Some(match segments.get(at + 4) {
                Some(sub) => format!("{plural}/{sub}"),
                None => (*plural).to_owned(),
            })
        })
        .or_else(|| segments.last().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    let resource = if API_RESOURCES.contains(&resource.as_str()) {
        resource
    } else {
        "other".to_owned()
    };
    ApiRequestLabels { verb, resource }
}

/// The tower layer that counts requests into `counts`.
#[derive(Debug, Clone)]
pub struct CountRequestsLayer {
    counts: Family<ApiRequestLabels, Counter>,
}

impl CountRequestsLayer {
    /// A layer counting into `counts`.
    pub fn new(counts: Family<ApiRequestLabels, Counter>) -> Self {
        CountRequestsLayer { counts }
    }
}

impl<S> Layer<S> for CountRequestsLayer {
    type Service = CountRequests<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CountRequests {
            inner,
            counts: self.counts.clone(),
        }
    }
}

/// The service produced by [`CountRequestsLayer`].
#[derive(Debug, Clone)]
pub struct CountRequests<S> {
    inner: S,
    counts: Family<ApiRequestLabels, Counter>,
}

impl<S, B> Service<http::Request<B>> for CountRequests<S>
where
    S: Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        self.counts
            .get_or_create(&classify(request.method(), request.uri()))
            .inc();
        self.inner.call(request)
    }
}

/// A client for `config` with prow-kube's rate limit and the request counter.
///
/// # Errors
/// The configuration cannot make a client (bad TLS material, ...).
pub fn counted_client(
    config: kube::Config,
    limit: RateLimit,
    counts: Family<ApiRequestLabels, Counter>,
) -> Result<kube::Client, kube::Error> {
    let builder = kube::client::ClientBuilder::try_from(config)?;
    Ok(builder
        .with_layer(&RateLimitLayer::new(limit))
        .with_layer(&CountRequestsLayer::new(counts))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_classified_by_verb_and_resource() {
        let cases = [
            (
                "GET",
                "/api/v1/namespaces/test-pods/pods?labelSelector=x&watch=true&resourceVersion=1",
                "WATCH",
                "pods",
            ),
            (
                "GET",
                "/api/v1/namespaces/test-pods/pods/abc",
                "GET",
                "pods",
            ),
            ("POST", "/api/v1/namespaces/test-pods/pods", "POST", "pods"),
            (
                "DELETE",
                "/api/v1/namespaces/test-pods/pods/abc",
                "DELETE",
                "pods",
            ),
            (
                "PATCH",
                "/apis/prow.k8s.io/v1/namespaces/prow/prowjobs/abc/status?fieldManager=x",
                "PATCH",
                "prowjobs/status",
            ),
            (
                "GET",
                "/apis/prow.k8s.io/v1/namespaces/prow/prowjobs?limit=500",
                "GET",
                "prowjobs",
            ),
            (
                "POST",
                "/apis/events.k8s.io/v1/namespaces/prow/events",
                "POST",
                "events",
            ),
            (
                "GET",
                "/apis/coordination.k8s.io/v1/namespaces/prow/leases/plank",
                "GET",
                "leases",
            ),
            ("GET", "/version", "GET", "other"),
        ];
        for (method, uri, verb, resource) in cases {
            let labels = classify(&method.parse().expect("method"), &uri.parse().expect("uri"));
            assert_eq!(
                (labels.verb.as_str(), labels.resource.as_str()),
                (verb, resource),
                "{uri}"
            );
        }
    }
}
