// Package scim is scimhq's HTTP face: the SCIM 2.0 protocol of RFC 7644. It parses and
// authenticates requests, negotiates content, routes them to package resources, and
// renders results and errors as SCIM JSON. It holds no state between requests.
package scim

import (
	"context"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"go.uber.org/zap"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// Prefix is the path under which the SCIM endpoints are served.
const Prefix = "/scim/v2"

// DefaultMaxBodyBytes is the request body limit unless configured: large enough for a
// Group replaced with ~100,000 members, small enough to bound a request's memory.
const DefaultMaxBodyBytes = 16 << 20

// Server serves the SCIM protocol.
type Server struct {
	Service *resources.Service
	// Ready reports whether the server can serve requests (the database answers).
	Ready func(ctx context.Context) error
	// BaseURL is the absolute URL of the SCIM root as clients see it, e.g.
	// https://hq.example.com/scim/v2; empty means derive it from each request.
	BaseURL string
	// MaxBodyBytes limits request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	Logger       *zap.Logger
}

func (s *Server) maxBodyBytes() int64 {
	if s.MaxBodyBytes > 0 {
		return s.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}

// Handler returns the HTTP handler for the whole server.
func (s *Server) Handler() http.Handler {
	if s.Logger == nil {
		s.Logger = zap.NewNop()
	}
	root := mux.NewRouter()
	root.HandleFunc("/healthz", s.healthz).Methods(http.MethodGet, http.MethodHead)
	root.HandleFunc("/readyz", s.readyz).Methods(http.MethodGet, http.MethodHead)

	// Routes are registered with full paths on the root router, each behind
	// authentication: gorilla/mux subrouters report a wrong method as 404, not 405.
	handle := func(path string, h http.HandlerFunc, method string) {
		root.Handle(Prefix+path, s.authenticate(h)).Methods(method)
	}
	for _, rt := range []*schemas.ResourceType{schemas.UserResourceType, schemas.GroupResourceType} {
		h := resourceHandler{s: s, rt: rt}
		handle(rt.Endpoint, h.list, http.MethodGet)
		handle(rt.Endpoint, h.create, http.MethodPost)
		handle(rt.Endpoint+"/.search", h.search, http.MethodPost)
		handle(rt.Endpoint+"/{id}", h.get, http.MethodGet)
		handle(rt.Endpoint+"/{id}", h.replace, http.MethodPut)
		handle(rt.Endpoint+"/{id}", h.patch, http.MethodPatch)
		handle(rt.Endpoint+"/{id}", h.delete, http.MethodDelete)
	}
	handle("/.search", s.rootSearch, http.MethodPost)
	handle("/Bulk", s.bulk, http.MethodPost)
	handle("/ServiceProviderConfig", s.serviceProviderConfig, http.MethodGet)
	handle("/Products", s.products, http.MethodGet)
	handle("/Products/{id}", s.product, http.MethodGet)
	handle("/ResourceTypes", s.resourceTypes, http.MethodGet)
	handle("/ResourceTypes/{id}", s.resourceType, http.MethodGet)
	handle("/Schemas", s.schemaList, http.MethodGet)
	handle("/Schemas/{id}", s.schema, http.MethodGet)
	// RFC 7644 §3.11: a service provider without /Me answers 501, whatever the method.
	root.Handle(Prefix+"/Me", s.authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeErrorStatus(w, http.StatusNotImplemented, "", "/Me is not implemented: tokens belong to a tenant, not to a user; use /Users/{id}")
	})))

	root.NotFoundHandler = s.authenticateUnder(Prefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeErrorStatus(w, http.StatusNotFound, "", "there is no endpoint at "+r.URL.Path)
	}))
	root.MethodNotAllowedHandler = s.authenticateUnder(Prefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allowed := allowedMethods(root, r)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeErrorStatus(w, http.StatusMethodNotAllowed, "", r.Method+" is not supported on "+r.URL.Path+"; it supports "+strings.Join(allowed, ", "))
	}))

	return s.observe(s.recoverPanics(canonicalPath(root)))
}

// allowedMethods returns the methods the router serves at the request's path, which a
// 405 names in its Allow header (RFC 9110 §15.5.6). It asks the router itself, so the
// list cannot drift from the routes.
func allowedMethods(router *mux.Router, r *http.Request) []string {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		var match mux.RouteMatch
		if router.Match(probe, &match) && match.MatchErr == nil {
			allowed = append(allowed, m)
		}
	}
	return allowed
}

// endpoints maps lower-cased first path segments under Prefix to their canonical
// spelling. Endpoint names are case-insensitive (Entra ID sends /users);
// serviceConfiguration is what Microsoft's validator asks for.
var endpoints = map[string]string{
	"users":                 "Users",
	"groups":                "Groups",
	"serviceproviderconfig": "ServiceProviderConfig",
	"serviceconfiguration":  "ServiceProviderConfig",
	"resourcetypes":         "ResourceTypes",
	"schemas":               "Schemas",
	"bulk":                  "Bulk",
	".search":               ".search",
	"me":                    "Me",
	"products":              "Products",
}

// canonicalPath rewrites /SCIM/v2/users/ to /scim/v2/Users before routing: endpoint
// names match case-insensitively and with or without a trailing slash. Resource ids
// keep their case.
func canonicalPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if len(p) > 1 {
			p = strings.TrimRight(p, "/")
		}
		if len(p) >= len(Prefix) && strings.EqualFold(p[:len(Prefix)], Prefix) && (len(p) == len(Prefix) || p[len(Prefix)] == '/') {
			rest := strings.SplitN(strings.TrimPrefix(p[len(Prefix):], "/"), "/", 2)
			if canon, ok := endpoints[strings.ToLower(rest[0])]; ok {
				rest[0] = canon
			}
			p = Prefix + "/" + strings.Join(rest, "/")
			p = strings.TrimRight(p, "/")
		}
		if p != r.URL.Path {
			r.URL.Path, r.URL.RawPath = p, ""
		}
		next.ServeHTTP(w, r)
	})
}

// baseURL is the absolute URL of the SCIM root for a request.
func (s *Server) baseURL(r *http.Request) string {
	if s.BaseURL != "" {
		return strings.TrimRight(s.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + Prefix
}

func (s *Server) renderer(r *http.Request) renderer { return renderer{baseURL: s.baseURL(r)} }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.Ready != nil {
		if err := s.Ready(r.Context()); err != nil {
			resources.Logger(r.Context()).Warn("not ready", zap.Error(err))
			http.Error(w, "not ready: the database does not answer", http.StatusServiceUnavailable)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ready\n"))
}
