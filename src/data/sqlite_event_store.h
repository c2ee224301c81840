// EventStore over one SQLite file (WAL, synchronous=FULL).
//
// Writes of events go through a single writer thread that groups the batches
// waiting at that moment into one transaction (group commit): each Append
// call returns only after the COMMIT that holds its batch has returned, so an
// acknowledged batch is on disk. Reads use a small pool of other connections
// and never wait for the writer.
//
// Schema versions are kept in the table schema_migrations. Opening applies
// every missing migration in one transaction; a database whose version is
// newer than this build knows is refused (FailedPrecondition).
#pragma once

#include <memory>
#include <string>

#include "data/event_store.h"

namespace hearth::data {

// The schema version this build writes.
inline constexpr int kLatestSchemaVersion = 3;

struct SqliteStoreOptions {
  // Upper bound on events written in one group-commit transaction.
  size_t max_events_per_transaction = 50'000;
};

// Opens (creating if missing, mode 0600) and migrates the database at `path`.
Result<std::unique_ptr<EventStore>> OpenSqliteEventStore(const std::string& path,
                                                         const SqliteStoreOptions& options = {});

// The version recorded in the database at `path`, without migrating it
// (0 for an empty database). Used by `hearth data check` and tests.
Result<int> ReadSchemaVersion(const std::string& path);

}  // namespace hearth::data
