package scim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/scimhq/scimhq/resources"
)

const requestIDHeader = "X-Request-Id"

// requestInfo collects what the access log reports about a request as it is handled.
type requestInfo struct {
	tenant string
}

type requestInfoKey struct{}

func infoOf(ctx context.Context) *requestInfo {
	if ri, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{}
}

type tenantKey struct{}

// tenantOf returns the tenant the request authenticated as.
func tenantOf(ctx context.Context) string {
	t, _ := ctx.Value(tenantKey{}).(string)
	return t
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (sr *statusRecorder) WriteHeader(code int) {
	if sr.status == 0 {
		sr.status = code
	}
	sr.ResponseWriter.WriteHeader(code)
}

func (sr *statusRecorder) Write(b []byte) (int, error) {
	if sr.status == 0 {
		sr.status = http.StatusOK
	}
	n, err := sr.ResponseWriter.Write(b)
	sr.bytes += n
	return n, err
}

// observe gives every request an id and a request-scoped logger, and logs one line
// per request when it is done.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(requestIDHeader)
		if id == "" || len(id) > 128 {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set(requestIDHeader, id)
		info := &requestInfo{}
		logger := s.Logger.With(zap.String("request_id", id))
		ctx := context.WithValue(resources.WithLogger(r.Context(), logger), requestInfoKey{}, info)
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(ctx))
		logger.Info("request",
			zap.String("method", r.Method),
			zap.String("path", r.URL.Path),
			zap.Int("status", rec.status),
			zap.Duration("duration", time.Since(start)),
			zap.String("tenant", info.tenant),
			zap.Int("bytes", rec.bytes),
		)
	})
}

// recoverPanics turns a panic into a logged 500 SCIM error instead of a dropped
// connection. A panic is always a bug; this keeps the server serving others meanwhile.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				resources.Logger(r.Context()).Error("panic while handling a request",
					zap.Any("panic", v), zap.ByteString("stack", debug.Stack()))
				writeErrorStatus(w, http.StatusInternalServerError, "",
					"the server failed on this request; it has been logged with request id "+w.Header().Get(requestIDHeader))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// authenticate requires a valid bearer token and puts its tenant in the context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		scheme, secret, _ := strings.Cut(auth, " ")
		if auth == "" || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
			writeErrorStatus(w, http.StatusUnauthorized, "", "this endpoint requires an Authorization: Bearer <token> header")
			return
		}
		tenant, err := s.Service.Authenticate(r.Context(), strings.TrimSpace(secret))
		if err != nil {
			if resources.KindOf(err) == resources.KindUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="scimhq", error="invalid_token"`)
			}
			writeError(w, r, err)
			return
		}
		infoOf(r.Context()).tenant = tenant
		ctx := context.WithValue(r.Context(), tenantKey{}, tenant)
		ctx = resources.WithLogger(ctx, resources.Logger(ctx).With(zap.String("tenant", tenant)))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// authenticateUnder requires authentication for paths under prefix only, so that a
// client without a token learns nothing about which SCIM paths exist.
func (s *Server) authenticateUnder(prefix string, next http.Handler) http.Handler {
	authed := s.authenticate(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, prefix+"/") || r.URL.Path == prefix {
			authed.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
