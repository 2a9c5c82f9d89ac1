package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// The segmentation model behind background blur and virtual backgrounds
// comes from the npm package @mediapipe/selfie_segmentation (Apache-2.0),
// pinned in web/package.json. Its files are copied into the embedded
// static directory, so the server serves them itself: no CDN, and running
// the server needs no npm. The client loads them lazily, only when a
// person first picks an effect (web/src/segmenter.ts).
const (
	segmentationPackage = "@mediapipe/selfie_segmentation"
	segmentationSrc     = "web/node_modules/" + segmentationPackage
	segmentationDest    = "internal/web/static/segmentation"
)

// segmentationFiles are the files the package's loader requests, and no
// more. Only the SIMD build of the WebAssembly runtime is shipped: every
// browser Conclave supports (web/src/browsers.ts) has WebAssembly SIMD, and
// the other build would add 5.6 MB to the binary. Only the landscape model
// (256×144, made for video calls) is shipped; the client always selects it.
var segmentationFiles = []string{
	"selfie_segmentation.binarypb",
	"selfie_segmentation.js",
	"selfie_segmentation_landscape.tflite",
	"selfie_segmentation_solution_simd_wasm_bin.js",
	"selfie_segmentation_solution_simd_wasm_bin.wasm",
}

// syncSegmentation copies segmentationFiles from node_modules into
// segmentationDest (removing anything else there), or with check only
// compares them and fails on any difference. Without node_modules a build
// keeps the committed copies (the bundle can be rebuilt without npm); a
// check fails, since it could not prove them current.
func syncSegmentation(root string, check bool) error {
	src := filepath.Join(root, filepath.FromSlash(segmentationSrc))
	dest := filepath.Join(root, filepath.FromSlash(segmentationDest))
	if err := checkInstalledVersion(root, src); err != nil {
		if !check && errors.Is(err, os.ErrNotExist) {
			fmt.Printf("buildweb: %s is not installed (cd web && npm ci); kept %s as committed\n", segmentationPackage, segmentationDest)
			return nil
		}
		return err
	}
	var stale []string
	for _, name := range segmentationFiles {
		want, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join(dest, name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err == nil && bytes.Equal(got, want) {
			continue
		}
		stale = append(stale, name)
		if !check {
			if err := writeAtomic(filepath.Join(dest, name), want); err != nil {
				return err
			}
		}
	}
	extra, err := extraFiles(dest)
	if err != nil {
		return err
	}
	if check {
		if len(stale) > 0 || len(extra) > 0 {
			return fmt.Errorf("%s differs from %s (stale or missing: %v; not from the package: %v): run `go run ./cmd/buildweb` and commit the result",
				segmentationDest, segmentationSrc, stale, extra)
		}
		fmt.Printf("buildweb: %s is up to date (%d files)\n", segmentationDest, len(segmentationFiles))
		return nil
	}
	for _, name := range extra {
		if err := os.RemoveAll(filepath.Join(dest, name)); err != nil {
			return err
		}
	}
	if len(stale)+len(extra) == 0 {
		fmt.Printf("buildweb: %s unchanged (%d files)\n", segmentationDest, len(segmentationFiles))
	} else {
		fmt.Printf("buildweb: wrote %s (copied %v, removed %v)\n", segmentationDest, stale, extra)
	}
	return nil
}

// checkInstalledVersion makes sure node_modules holds the version that
// web/package.json pins, so that a stale install cannot pass the check.
// A missing package is reported as os.ErrNotExist.
func checkInstalledVersion(root, src string) error {
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := readJSON(filepath.Join(root, "web", "package.json"), &pkg); err != nil {
		return err
	}
	pinned, ok := pkg.Dependencies[segmentationPackage]
	if !ok {
		return fmt.Errorf("web/package.json does not depend on %s", segmentationPackage)
	}
	var installed struct {
		Version string `json:"version"`
	}
	if err := readJSON(filepath.Join(src, "package.json"), &installed); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s is missing: run `cd web && npm ci`: %w", segmentationSrc, err)
		}
		return err
	}
	if installed.Version != pinned {
		return fmt.Errorf("%s is version %s, web/package.json pins %s: run `cd web && npm ci`", segmentationSrc, installed.Version, pinned)
	}
	return nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// extraFiles lists what dest holds besides segmentationFiles.
func extraFiles(dest string) ([]string, error) {
	entries, err := os.ReadDir(dest)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var extra []string
	for _, e := range entries {
		if !slices.Contains(segmentationFiles, e.Name()) {
			extra = append(extra, e.Name())
		}
	}
	return extra, nil
}
