package config

import (
	"errors"
	"net/url"
	"path/filepath"
)

// Cluster configures a node of several sharing one PostgreSQL database
// (docs/operations.md, "Several nodes").
type Cluster struct {
	// NodeURL is this node's own address, at which the other nodes reach
	// it to pass on a meeting's requests (http(s)://host:port, no path).
	// Set, the node runs each meeting only where its lease says
	// (docs/architecture.md, "Placing meetings on nodes"); empty, it is
	// the database's only node.
	NodeURL string `toml:"node_url"`
	// ContentDir holds the shared files' and recordings' sealed content
	// (files/ and recordings/ in it); empty: the data directory. In a
	// cluster every node names the same shared directory: the node that
	// runs a meeting writes its content, and any node serves it later
	// (review, export, erasure, retention).
	ContentDir string `toml:"content_dir"`
}

var clusterOptions = []option{
	{"node-url", "CONCLAVE_NODE_URL", "this node's own address for the other nodes of a cluster (http(s)://host:port); set: meetings are placed on nodes by load through the PostgreSQL store (needs store, audit_key_file and, with TURN, turn_secret_file)",
		str(func(c *Config) *string { return &c.NodeURL })},
	{"content-dir", "CONCLAVE_CONTENT_DIR", "where shared files and recordings are kept, sealed (default DATA); every node of a cluster names the same shared directory (a network filesystem)",
		str(func(c *Config) *string { return &c.ContentDir })},
}

// contentDir is where shared files and recordings are kept.
func (c Config) contentDir() string {
	if c.ContentDir != "" {
		return c.ContentDir
	}
	return c.DataDir
}

// Clustered reports whether this node shares its meetings with others.
func (c Config) Clustered() bool { return c.NodeURL != "" }

func (c Config) validateCluster() error {
	var errs []error
	if c.ContentDir != "" && !filepath.IsAbs(c.ContentDir) {
		errs = append(errs, errors.New("content_dir: give an absolute path"))
	}
	if c.NodeURL == "" {
		return errors.Join(errs...)
	}
	u, err := url.Parse(c.NodeURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.User != nil {
		errs = append(errs, errors.New("node_url: give this node's address as http(s)://host:port, without a path"))
	}
	if c.StoreKind() != StorePostgres {
		errs = append(errs, errors.New("node_url: several nodes share a PostgreSQL store; set store to its postgres:// URL"))
	}
	if c.AuditKeyFile == "" {
		errs = append(errs, errors.New("node_url: every node of a cluster names the same audit_key_file"))
	}
	if c.ContentDir == "" {
		errs = append(errs, errors.New("node_url: every node of a cluster names the same content_dir (shared storage): a meeting's files and recordings are written by its node and read by any"))
	}
	if c.TURNPort != 0 && c.TURNSecretFile == "" {
		errs = append(errs, errors.New("node_url: every node of a cluster names the same turn_secret_file (or turns TURN off)"))
	}
	return errors.Join(errs...)
}
