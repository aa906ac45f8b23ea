// lethe-dqlite-client is the example client of a lethe dqlite cluster, and
// the test's tool. It shows the calling convention: on dqlite, lethe_ingest
// must run where dqlite replicates its writes, that is
//
//   - inside BEGIN IMMEDIATE ... COMMIT (mode "tx"), or
//   - as `INSERT INTO rejects SELECT * FROM lethe_ingest(...)` sent as an
//     exec (mode "exec").
//
// A plain `SELECT * FROM lethe_ingest(...)` sent as a query in autocommit
// (mode "query") is refused by the nodes' guard; it is here so the test can
// show that it is.
//
// Usage: lethe-dqlite-client -s HOST:PORT[,HOST:PORT...] COMMAND [ARGS]
//
//	schema FILE                      exec FILE's SQL (sql/schema.sql) as one request
//	exec SQL                         exec one statement
//	query SQL                        print each row, columns separated by tabs
//	ingest -mode M -owner O FILE...  one call per FILE (one batch); rejects to stdout
//	leader                           print the leader's address
//	voters                           print how many nodes are voters
//	dump -node HOST:PORT -out DIR    write that node's own copy of the database to DIR
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/canonical/go-dqlite/client"
	"github.com/canonical/go-dqlite/driver"
)

const database = "lethe"

// How long one command may take before it gives up: every loop of the test
// is bounded, this one included.
const commandTimeout = 60 * time.Second

func main() {
	servers := flag.String("s", "", "comma-separated HOST:PORT of the cluster's nodes (required)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: lethe-dqlite-client -s HOST:PORT[,...] schema FILE | exec SQL | query SQL |"+
			" ingest -mode tx|exec|query -owner O FILE... | leader | voters | dump -node HOST:PORT -out DIR")
	}
	flag.Parse()
	if *servers == "" || flag.NArg() < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	if err := runCommand(ctx, strings.Split(*servers, ","), flag.Arg(0), flag.Args()[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "lethe-dqlite-client %s: %v%s\n", flag.Arg(0), err, sqliteCode(err))
		os.Exit(1)
	}
}

// sqliteCode names the SQLite result code of a node's error: a message alone
// can be as short as "line".
func sqliteCode(err error) string {
	var nodeError driver.Error
	if errors.As(err, &nodeError) {
		return fmt.Sprintf(" (SQLite code %d)", nodeError.Code)
	}
	return ""
}

func runCommand(ctx context.Context, servers []string, command string, args []string) error {
	store := client.NewInmemNodeStore()
	infos := make([]client.NodeInfo, len(servers))
	for i, address := range servers {
		infos[i].Address = address
	}
	if err := store.Set(ctx, infos); err != nil {
		return err
	}
	switch command {
	case "leader", "voters":
		return clusterInfo(ctx, store, command)
	case "dump":
		return dump(ctx, args)
	}

	db, err := open(store)
	if err != nil {
		return err
	}
	defer db.Close()
	switch {
	case command == "schema" && len(args) == 1:
		text, err := os.ReadFile(args[0])
		if err != nil {
			return err
		}
		_, err = db.ExecContext(ctx, string(text))
		return err
	case command == "exec" && len(args) == 1:
		_, err := db.ExecContext(ctx, args[0])
		return err
	case command == "query" && len(args) == 1:
		rows, err := db.QueryContext(ctx, args[0])
		if err != nil {
			return err
		}
		return printRows(rows)
	case command == "ingest":
		return ingest(ctx, db, args)
	}
	return fmt.Errorf("unknown command or wrong arguments (run without arguments for usage)")
}

func open(store client.NodeStore) (*sql.DB, error) {
	dqlite, err := driver.New(store, driver.WithConnectionTimeout(30*time.Second),
		driver.WithContextTimeout(commandTimeout))
	if err != nil {
		return nil, err
	}
	sql.Register("dqlite", dqlite)
	return sql.Open("dqlite", database)
}

// The calling convention, one function per mode. Each runs on one
// connection of its own: database/sql's pool retries a request whose
// connection broke, and after a leader loss a retried exec may run a batch
// that was already committed. Here the caller sees that error and decides
// (retrying is safe for sessions and turns, which are upserts; it is not for
// a rejects table).
var modes = map[string]func(ctx context.Context, conn *sql.Conn, owner string, ndjson []byte) error{
	// BEGIN IMMEDIATE ... COMMIT: lethe_ingest runs as a query inside the
	// transaction and dqlite replicates the transaction at COMMIT. IMMEDIATE
	// takes the write lock first, so that another writer is reported by the
	// BEGIN (as SQLITE_BUSY, retried) and not by the query: dqlite 1.11
	// garbles the error of a query that fails after it started (the message
	// becomes the first column's name, "line").
	"tx": func(ctx context.Context, conn *sql.Conn, owner string, ndjson []byte) error {
		if err := retryWhileBusy(ctx, func() error {
			_, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE")
			return err
		}); err != nil {
			return err
		}
		rows, err := conn.QueryContext(ctx, "SELECT * FROM lethe_ingest(?, ?)", owner, ndjson)
		if err == nil {
			err = printRows(rows)
		}
		if err != nil {
			conn.ExecContext(ctx, "ROLLBACK")
			return explainGarbled(err)
		}
		_, err = conn.ExecContext(ctx, "COMMIT")
		return err
	},
	// One exec statement that writes: dqlite replicates it when it ends.
	// The rejected lines go to the table `rejects`. A statement that found
	// another writer (SQLITE_BUSY) wrote nothing and is retried.
	"exec": func(ctx context.Context, conn *sql.Conn, owner string, ndjson []byte) error {
		return retryWhileBusy(ctx, func() error {
			_, err := conn.ExecContext(ctx, "INSERT INTO rejects SELECT * FROM lethe_ingest(?, ?)", owner, ndjson)
			return err
		})
	},
	// Forbidden: a query in autocommit, which dqlite would not replicate.
	// The nodes' guard refuses it.
	"query": func(ctx context.Context, conn *sql.Conn, owner string, ndjson []byte) error {
		rows, err := conn.QueryContext(ctx, "SELECT * FROM lethe_ingest(?, ?)", owner, ndjson)
		if err == nil {
			err = printRows(rows)
		}
		return explainGarbled(err)
	},
}

// explainGarbled says so when an error of lethe_ingest run as a query came
// back garbled: dqlite 1.11 answers a query that failed after it started
// with the first column's name as the message and the number of columns as
// the code.
func explainGarbled(err error) error {
	var nodeError driver.Error
	if errors.As(err, &nodeError) && nodeError.Message == "line" {
		return fmt.Errorf("%w [dqlite 1.11 lost the node's message: it sends the first column's name "+
			"and the column count instead; the exec form, INSERT INTO rejects SELECT * FROM "+
			"lethe_ingest(...), keeps it]", err)
	}
	return err
}

// dqlite's leader serves each client on a connection of its own and does not
// wait for another connection's write lock: a second writer gets SQLITE_BUSY
// at once. Retry it, for at most about ten seconds.
func retryWhileBusy(ctx context.Context, attempt func() error) error {
	const sqliteBusy = 5
	for try := 1; ; try++ {
		err := attempt()
		var nodeError driver.Error
		if err == nil || !errors.As(err, &nodeError) || nodeError.Code&0xff != sqliteBusy || try == 200 {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(10+rand.Intn(40)) * time.Millisecond):
		}
	}
}

func ingest(ctx context.Context, db *sql.DB, args []string) error {
	flags := flag.NewFlagSet("ingest", flag.ContinueOnError)
	mode := flags.String("mode", "tx", "tx, exec or query")
	owner := flags.String("owner", "", "owner of the batches (required)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	call, known := modes[*mode]
	if !known || *owner == "" || flags.NArg() == 0 {
		return fmt.Errorf("usage: ingest -mode tx|exec|query -owner OWNER FILE...")
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, path := range flags.Args() {
		ndjson, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := call(ctx, conn, *owner, ndjson); err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
	}
	return nil
}

func printRows(rows *sql.Rows) error {
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		return err
	}
	values := make([]sql.NullString, len(columns))
	pointers := make([]interface{}, len(columns))
	for i := range values {
		pointers[i] = &values[i]
	}
	for rows.Next() {
		if err := rows.Scan(pointers...); err != nil {
			return err
		}
		fields := make([]string, len(values))
		for i, v := range values {
			fields[i] = v.String
		}
		fmt.Println(strings.Join(fields, "\t"))
	}
	return rows.Err()
}

func clusterInfo(ctx context.Context, store client.NodeStore, command string) error {
	leader, err := client.FindLeader(ctx, store)
	if err != nil {
		return err
	}
	defer leader.Close()
	if command == "leader" {
		info, err := leader.Leader(ctx)
		if err != nil {
			return err
		}
		fmt.Println(info.Address)
		return nil
	}
	nodes, err := leader.Cluster(ctx)
	if err != nil {
		return err
	}
	voters := 0
	for _, node := range nodes {
		if node.Role == client.Voter {
			voters++
		}
	}
	fmt.Println(voters)
	return nil
}

// dump asks one node (leader or not) for its own copy of the database: the
// database file and its WAL, as SQLite reads them.
func dump(ctx context.Context, args []string) error {
	flags := flag.NewFlagSet("dump", flag.ContinueOnError)
	node := flags.String("node", "", "HOST:PORT of the node")
	out := flags.String("out", "", "folder to write the files to")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *node == "" || *out == "" {
		return fmt.Errorf("usage: dump -node HOST:PORT -out DIR")
	}
	cli, err := client.New(ctx, *node)
	if err != nil {
		return err
	}
	defer cli.Close()
	files, err := cli.Dump(ctx, database)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, file := range files {
		if err := os.WriteFile(filepath.Join(*out, file.Name), file.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
