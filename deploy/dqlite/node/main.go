// lethe-dqlite-node runs one node of a dqlite cluster (Raft-replicated
// SQLite) whose every SQLite connection has lethe registered, with lethe's
// replicated-database guard on. It is glue around go-dqlite's app package:
// dqlite clients cannot load extensions, so the node process registers lethe
// itself, on every connection it will ever open, before the node starts.
//
// Usage:
//
//	lethe-dqlite-node -lethe build/lethe.so -dir DIR -address HOST:PORT [-join HOST:PORT,...]
//
// The first node of a cluster starts without -join; every other node joins
// with the address of one or more nodes already in it (only on its first
// start: afterwards DIR remembers the cluster). SIGINT or SIGTERM hands the
// node's role over to another node and stops it.
package main

/*
#cgo LDFLAGS: -ldqlite -lsqlite3 -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <dqlite.h>
#include <sqlite3.h>

typedef int (*entry_point)(sqlite3 *, char **, const sqlite3_api_routines *);

// The entry point of lethe.so, found by dlsym; set once, before any
// connection is opened.
static entry_point lethe_entry = NULL;

static int register_lethe(sqlite3 *db, char **error, const sqlite3_api_routines *api) {
	return lethe_entry(db, error, api);
}

// dqlite before 1.13 fails a transaction whose pages spill from the page
// cache right after its own checkpoint (SQLITE_IOERR_SHORT_READ); keeping
// dirty pages in memory until the commit avoids it.
static int turn_cache_spill_off(sqlite3 *db, char **error, const sqlite3_api_routines *api) {
	(void)api;
	return sqlite3_exec(db, "PRAGMA cache_spill=OFF", NULL, NULL, error);
}

// Opens lethe.so and finds `symbol`; returns NULL with dlerror()'s text
// copied to *error (freed by the caller) when either fails.
static void *load_lethe(const char *path, const char *symbol, char **error) {
	void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		const char *why = dlerror();
		*error = strdup(why ? why : "dlopen failed");
		return NULL;
	}
	void *entry = dlsym(handle, symbol);
	if (entry == NULL) {
		const char *why = dlerror();
		*error = strdup(why ? why : "dlsym failed");
		return NULL;
	}
	return entry;
}

static int auto_register_lethe(void *entry) {
	lethe_entry = (entry_point)entry;
	return sqlite3_auto_extension((void (*)(void))register_lethe);
}

static int auto_turn_cache_spill_off(void) {
	return sqlite3_auto_extension((void (*)(void))turn_cache_spill_off);
}

// Opens a private in-memory connection (so it gets every automatic
// extension) and returns the text of the first column of `sql`'s first row,
// or NULL; the caller frees it with free().
static char *probe(const char *sql, char **error) {
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	char *result = NULL;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		*error = strdup(db ? sqlite3_errmsg(db) : "out of memory");
	} else if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != NULL) {
		result = strdup((const char *)sqlite3_column_text(stmt, 0));
	} else {
		*error = strdup(sqlite3_errmsg(db));
	}
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return result;
}
*/
import "C"

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/canonical/go-dqlite/app"
	"github.com/canonical/go-dqlite/client"
)

// The entry point of lethe.so that also switches on, per connection, the
// guard against dqlite's query path: lethe_ingest refuses to open its own
// transaction from an autocommit statement, whose writes dqlite would not
// replicate.
const replicatedEntryPoint = "sqlite3_lethe_replicated_init"

// The first dqlite release whose checkpoint no longer breaks the next
// transaction that spills pages (1.13.0, as dqlite_version_number encodes it).
const firstVersionWithoutSpillBug = 11300

func main() {
	lethePath := flag.String("lethe", "", "path of lethe.so (required)")
	dir := flag.String("dir", "", "data directory of this node (required; created if missing)")
	address := flag.String("address", "", "HOST:PORT this node listens on and other nodes reach it at (required)")
	join := flag.String("join", "", "comma-separated HOST:PORT of nodes already in the cluster (first start of a new node only)")
	verbose := flag.Bool("v", false, "log dqlite's debug messages")
	flag.Parse()
	if *lethePath == "" || *dir == "" || *address == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: lethe-dqlite-node -lethe PATH/lethe.so -dir DIR -address HOST:PORT [-join HOST:PORT,...]")
		os.Exit(2)
	}
	log.SetPrefix("lethe-dqlite-node " + *address + ": ")
	log.SetFlags(log.Ltime | log.Lmicroseconds)

	if err := registerOnEveryConnection(*lethePath); err != nil {
		log.Fatal(err)
	}
	if err := run(*dir, *address, *join, *verbose); err != nil {
		log.Fatal(err)
	}
}

// registerOnEveryConnection makes SQLite call lethe's replicated entry point,
// and when this dqlite needs it the cache-spill workaround, on every
// connection the process opens from now on, then checks both on a probe
// connection.
func registerOnEveryConnection(lethePath string) error {
	path := C.CString(lethePath)
	defer C.free(unsafe.Pointer(path))
	symbol := C.CString(replicatedEntryPoint)
	defer C.free(unsafe.Pointer(symbol))
	var cerr *C.char
	entry := C.load_lethe(path, symbol, &cerr)
	if entry == nil {
		defer C.free(unsafe.Pointer(cerr))
		return fmt.Errorf("cannot use %s: %s (this node needs a lethe.so with the entry point %s)",
			lethePath, C.GoString(cerr), replicatedEntryPoint)
	}
	if rc := C.auto_register_lethe(entry); rc != C.SQLITE_OK {
		return fmt.Errorf("sqlite3_auto_extension(lethe): %s", C.GoString(C.sqlite3_errstr(rc)))
	}
	dqliteVersion := int(C.dqlite_version_number())
	spillOff := dqliteVersion < firstVersionWithoutSpillBug
	if spillOff {
		if rc := C.auto_turn_cache_spill_off(); rc != C.SQLITE_OK {
			return fmt.Errorf("sqlite3_auto_extension(cache_spill): %s", C.GoString(C.sqlite3_errstr(rc)))
		}
	}

	version, err := probe("SELECT lethe_version()")
	if err != nil {
		return fmt.Errorf("lethe is not registered on new connections: %v", err)
	}
	spill, err := probe("PRAGMA cache_spill")
	if err != nil {
		return fmt.Errorf("PRAGMA cache_spill: %v", err)
	}
	if spillOff != (spill == "0") {
		return fmt.Errorf("cache_spill is %s on new connections, expected %v", spill, !spillOff)
	}
	// Debian's dqlite 1.11.1 reports 1.10.0: its header's version was not bumped.
	log.Printf("lethe %s on every connection (guard on), dqlite_version_number %d.%d.%d, SQLite %s, cache_spill %s",
		version, dqliteVersion/10000, dqliteVersion/100%100, dqliteVersion%100,
		C.GoString(C.sqlite3_libversion()), map[bool]string{true: "OFF (dqlite < 1.13)", false: "default"}[spillOff])
	return nil
}

func probe(sql string) (string, error) {
	csql := C.CString(sql)
	defer C.free(unsafe.Pointer(csql))
	var cerr *C.char
	result := C.probe(csql, &cerr)
	if result == nil {
		defer C.free(unsafe.Pointer(cerr))
		return "", fmt.Errorf("%s", C.GoString(cerr))
	}
	defer C.free(unsafe.Pointer(result))
	return C.GoString(result), nil
}

func run(dir, address, join string, verbose bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	options := []app.Option{app.WithAddress(address), app.WithLogFunc(logFunc(verbose))}
	if join != "" {
		options = append(options, app.WithCluster(strings.Split(join, ",")))
	}
	node, err := app.New(dir, options...)
	if err != nil {
		return fmt.Errorf("start node: %w", err)
	}
	ready, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := node.Ready(ready); err != nil {
		node.Close()
		return fmt.Errorf("node not ready after a minute: %w", err)
	}
	log.Printf("ready, id %x", node.ID())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	handover, cancelHandover := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelHandover()
	if err := node.Handover(handover); err != nil {
		log.Printf("handover: %v", err)
	}
	return node.Close()
}

func logFunc(verbose bool) client.LogFunc {
	return func(level client.LogLevel, format string, args ...interface{}) {
		if level < client.LogWarn && !verbose {
			return
		}
		log.Printf("%s: %s", level.String(), fmt.Sprintf(format, args...))
	}
}
