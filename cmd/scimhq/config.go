package main

import (
	_ "embed"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/scimhq/scimhq/resources"
)

// Config is scimhq's configuration. Each setting comes from, in increasing precedence:
// its default, the config file (--config / SCIMHQ_CONFIG), the environment variable
// SCIMHQ_<NAME>, and the command-line flag.
type Config struct {
	Addr         string `yaml:"addr"`
	DataDir      string `yaml:"dataDir"`
	MongoDBURI   string `yaml:"mongodbURI"`
	Database     string `yaml:"database"`
	Token        string `yaml:"token"`
	BaseURL      string `yaml:"baseURL"`
	MaxBodyBytes int64  `yaml:"maxBodyBytes"`
	LogFormat    string `yaml:"logFormat"`
	// DeletedRetention is how long deleted users can be restored; 0 means 30 days.
	DeletedRetention time.Duration `yaml:"deletedRetention"`

	// Products is the product catalog.
	Products []resources.Product `yaml:"products"`
	// Tenants holds per-tenant policy; a tenant not listed gets the defaults and no
	// products.
	Tenants map[string]TenantConfig `yaml:"tenants"`

	// exampleCatalog is set when no configuration named any products and the
	// example's catalog is in use.
	exampleCatalog bool
}

// TenantConfig is one tenant's policy in the config file.
type TenantConfig struct {
	// Products are the ids of the catalog products the tenant subscribes to.
	Products []string `yaml:"products"`
	// Strict rejects attributes no schema defines instead of ignoring them.
	Strict bool `yaml:"strict"`
	// UniqueEmails makes e-mail addresses unique within the tenant.
	UniqueEmails bool `yaml:"uniqueEmails"`
}

// exampleConfig is the example configuration, whose catalog and tenants apply when no
// configuration defines products.
//
//go:embed scimhq.example.yaml
var exampleConfig []byte

// setting binds one configuration value to its flag, environment variable and file key.
type setting struct {
	flag, env, usage string
	def              string
	target           *string
}

// settings returns the settings of c that a command uses, named by flag.
func (c *Config) settings(names ...string) []setting {
	all := map[string]setting{
		"addr":           {flag: "addr", def: ":8080", target: &c.Addr, usage: "address to listen on"},
		"data-dir":       {flag: "data-dir", def: "./data", target: &c.DataDir, usage: "directory of the embedded database, used when no MongoDB URI is set"},
		"mongodb-uri":    {flag: "mongodb-uri", target: &c.MongoDBURI, usage: "MongoDB connection URI (mongodb://… or mongodb+srv://…); empty starts the embedded database"},
		"database":       {flag: "database", target: &c.Database, usage: "MongoDB database name (default: the URI's, else \"scimhq\")"},
		"token":          {flag: "token", target: &c.Token, usage: "a bearer token (16+ characters) to accept for tenant \"default\", for scripts and tests"},
		"base-url":       {flag: "base-url", target: &c.BaseURL, usage: "absolute URL of the SCIM root as clients see it, e.g. https://hq.example.com/scim/v2 (default: from each request's Host)"},
		"max-body-bytes": {flag: "max-body-bytes", target: new(string), usage: "largest accepted request body in bytes (default 16 MiB)"},
		"log-format":     {flag: "log-format", def: "json", target: &c.LogFormat, usage: "log format: json or console"},
	}
	out := make([]setting, 0, len(names))
	for _, n := range names {
		s := all[n]
		s.env = "SCIMHQ_" + strings.ToUpper(strings.ReplaceAll(n, "-", "_"))
		out = append(out, s)
	}
	return out
}

// parseConfig parses args for a command that uses the named settings and returns the
// resulting configuration.
func parseConfig(fs *flag.FlagSet, args []string, names ...string) (*Config, error) {
	c := &Config{}
	configPath := fs.String("config", os.Getenv("SCIMHQ_CONFIG"), "YAML config file (env SCIMHQ_CONFIG)")
	sets := c.settings(names...)
	values := make([]*string, len(sets))
	for i, s := range sets {
		usage := s.usage + " (env " + s.env + ")"
		if s.def != "" {
			usage += fmt.Sprintf(" (default %q)", s.def)
		}
		values[i] = fs.String(s.flag, "", usage)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *configPath != "" {
		data, err := os.ReadFile(*configPath)
		if err != nil {
			return nil, fmt.Errorf("reading the config file: %w", err)
		}
		if err := decodeYAML(data, c); err != nil {
			return nil, fmt.Errorf("config file %s: %w", *configPath, err)
		}
	}
	if len(c.Products) == 0 && len(c.Tenants) == 0 {
		var example Config
		if err := decodeYAML(exampleConfig, &example); err != nil {
			return nil, fmt.Errorf("the built-in example configuration: %w", err)
		}
		c.Products, c.Tenants, c.exampleCatalog = example.Products, example.Tenants, true
	}
	fileMaxBody := c.MaxBodyBytes
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	for i, s := range sets {
		switch {
		case explicit[s.flag]:
			*s.target = *values[i]
		case os.Getenv(s.env) != "":
			*s.target = os.Getenv(s.env)
		case *s.target == "":
			*s.target = s.def
		}
		if s.flag == "max-body-bytes" {
			c.MaxBodyBytes = fileMaxBody
			if *s.target != "" {
				n, err := strconv.ParseInt(*s.target, 10, 64)
				if err != nil || n <= 0 {
					return nil, fmt.Errorf("--max-body-bytes must be a positive number of bytes, not %q", *s.target)
				}
				c.MaxBodyBytes = n
			}
		}
	}
	if err := c.validateCatalog(); err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	return c, nil
}

func decodeYAML(data []byte, c *Config) error {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	return dec.Decode(c)
}

// validateCatalog checks the products and that tenants subscribe only to them.
func (c *Config) validateCatalog() error {
	if err := resources.ValidateCatalog(c.Products); err != nil {
		return err
	}
	for name, t := range c.Tenants {
		if err := resources.ValidateTenantName(name); err != nil {
			return err
		}
		for _, id := range t.Products {
			if _, ok := c.product(id); !ok {
				return fmt.Errorf("tenant %q subscribes to product %q, which the catalog does not define", name, id)
			}
		}
	}
	return nil
}

// retention is how long deleted users can be restored: deletedRetention, or 30 days.
func (c *Config) retention() time.Duration {
	if c.DeletedRetention > 0 {
		return c.DeletedRetention
	}
	return resources.DefaultRetention
}

func (c *Config) product(id string) (resources.Product, bool) {
	for _, p := range c.Products {
		if p.ID == id {
			return p, true
		}
	}
	return resources.Product{}, false
}

// policy returns the per-tenant policy function of the configuration.
func (c *Config) policy() func(string) resources.Policy {
	policies := map[string]resources.Policy{}
	for name, t := range c.Tenants {
		p := resources.Policy{Strict: t.Strict, UniqueEmails: t.UniqueEmails, Catalog: c.Products}
		for _, id := range t.Products {
			prod, _ := c.product(id)
			p.Products = append(p.Products, prod)
		}
		policies[name] = p
	}
	return func(tenant string) resources.Policy {
		if p, ok := policies[tenant]; ok {
			return p
		}
		// A tenant the file does not list subscribes to nothing, but a role naming a
		// catalog product is still a grant there, refused like any other.
		return resources.Policy{Catalog: c.Products}
	}
}
