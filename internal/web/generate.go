package web

// The browser client lives in web/src (TypeScript). This regenerates the
// embedded bundle static/app.js; see docs/client.md.
//go:generate go run ../../cmd/buildweb
