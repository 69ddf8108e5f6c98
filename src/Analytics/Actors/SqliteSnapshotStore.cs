using Microsoft.Data.Sqlite;

namespace PatientStream.Analytics.Actors;

/// <summary>
/// Actor snapshots in a SQLite file (WAL). One row per actor; an older version never overwrites a newer one, so
/// two instances that briefly overlap during a rebalance cannot roll a patient's state back.
/// </summary>
public sealed class SqliteSnapshotStore : ISnapshotStore
{
    private const int SchemaVersion = 1;
    private readonly string _connectionString;

    private SqliteSnapshotStore(string connectionString) => _connectionString = connectionString;

    /// <summary>Opens (and if needed creates) the store in the given file.</summary>
    public static async Task<SqliteSnapshotStore> OpenAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        var store = new SqliteSnapshotStore(connectionString);
        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        return store;
    }

    /// <inheritdoc/>
    public async ValueTask<ActorSnapshot?> LoadAsync(string key, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = "SELECT version, data FROM actor_snapshots WHERE actor_key = $key";
                command.Parameters.AddWithValue("$key", key);
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        return null;
                    }

                    return new ActorSnapshot(reader.GetInt64(0), (byte[])reader.GetValue(1));
                }
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask SaveAsync(string key, ActorSnapshot snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = """
                    INSERT INTO actor_snapshots (actor_key, version, data, saved_at) VALUES ($key, $version, $data, $savedAt)
                    ON CONFLICT (actor_key) DO UPDATE SET version = excluded.version, data = excluded.data, saved_at = excluded.saved_at
                    WHERE excluded.version > actor_snapshots.version
                    """;
                command.Parameters.AddWithValue("$key", key);
                command.Parameters.AddWithValue("$version", snapshot.Version);
                command.Parameters.Add("$data", SqliteType.Blob).Value = snapshot.Data.ToArray();
                command.Parameters.AddWithValue("$savedAt", DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = "PRAGMA journal_mode = WAL; PRAGMA user_version;";
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                long version;
                await using (reader.ConfigureAwait(false))
                {
                    await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    version = reader.GetInt64(0);
                }

                if (version > SchemaVersion)
                {
                    throw new ActorRuntimeException(
                        ActorRuntimeException.StoreUnusableCode,
                        $"The snapshot store has schema version {version}; this release reads up to {SchemaVersion}.");
                }

                command.CommandText = $"""
                    CREATE TABLE IF NOT EXISTS actor_snapshots (
                        actor_key TEXT PRIMARY KEY NOT NULL,
                        version INTEGER NOT NULL,
                        data BLOB NOT NULL,
                        saved_at TEXT NOT NULL
                    ) WITHOUT ROWID;
                    PRAGMA user_version = {SchemaVersion};
                    """;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // Per connection: WAL makes NORMAL durable across process crashes, which is what snapshots need.
            var pragma = connection.CreateCommand();
            await using (pragma.ConfigureAwait(false))
            {
                pragma.CommandText = "PRAGMA synchronous = NORMAL;";
                await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
