package browser

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// listeningAddrs returns the local addresses of every socket process pid
// holds, read from /proc: what the process really bound, whatever its code
// says.
func listeningAddrs(pid int) ([]string, error) {
	inodes := map[string]bool{}
	fds, err := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	if err != nil {
		return nil, err
	}
	for _, fd := range fds {
		target, err := os.Readlink(fd)
		if err == nil && strings.HasPrefix(target, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] = true
		}
	}
	var out []string
	for _, proto := range []string{"tcp", "tcp6", "udp", "udp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, proto))
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || !inodes[fields[9]] {
				continue
			}
			// Outgoing TCP connections (state 01, ESTABLISHED) from the
			// server are what we look for too: their local address shows
			// where they came from.
			out = append(out, proto+" "+decodeAddr(fields[1]))
		}
		f.Close()
	}
	return out, nil
}

// decodeAddr turns /proc's "0100007F:1F90" into "127.0.0.1:8080".
func decodeAddr(s string) string {
	host, port, ok := strings.Cut(s, ":")
	if !ok {
		return s
	}
	p, _ := strconv.ParseUint(port, 16, 16)
	b := make([]byte, len(host)/2)
	for i := range b {
		v, _ := strconv.ParseUint(host[2*i:2*i+2], 16, 8)
		b[i] = byte(v)
	}
	// /proc prints each 32-bit word in host (little-endian) order.
	for i := 0; i+4 <= len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	return net.JoinHostPort(net.IP(b).String(), strconv.FormatUint(p, 10))
}
