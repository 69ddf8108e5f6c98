using Microsoft.Data.Sqlite;

namespace PatientStream.Ingest.State;

/// <summary>
/// Dedupe keys and series watermarks in a SQLite file (WAL), so they survive restarts. Owned by one consumer loop:
/// not thread-safe. Series watermarks are small (one row per device and type) and kept in memory as well; dedupe keys
/// are looked up in the file only for samples at or behind their series' watermark, because a newer sample cannot be
/// a repeat of anything recorded.
/// </summary>
public sealed partial class IngestStateStore : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _batchSeen;
    private readonly SqliteCommand _sampleSeen;
    private readonly Dictionary<SeriesKey, long> _watermarks = [];
    private SqliteTransaction? _staged;

    private IngestStateStore(SqliteConnection connection)
    {
        _connection = connection;
        _batchSeen = Prepare("SELECT 1 FROM batches WHERE device = $a AND seq = $b", "$a", "$b");
        _sampleSeen = Prepare("SELECT 1 FROM samples WHERE device = $a AND type = $b AND t = $c", "$a", "$b", "$c");
        _windowRead = Prepare(WindowRead, "$a", "$b", "$c");
        using var load = connection.CreateCommand();
        load.CommandText = "SELECT device, type, t FROM watermarks";
        using var reader = load.ExecuteReader();
        while (reader.Read())
        {
            _watermarks[new SeriesKey(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
        }
    }

    /// <summary>Opens (creating when missing) the state file at <paramref name="path"/>.</summary>
    public static IngestStateStore Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            using var setup = connection.CreateCommand();
            // synchronous=NORMAL in WAL mode keeps every commit across a process crash; a power loss may forget the
            // last commits, which only means those records are processed again by idempotent sinks.
            setup.CommandText = """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = NORMAL;
                CREATE TABLE IF NOT EXISTS batches (device TEXT NOT NULL, seq INTEGER NOT NULL, seen INTEGER NOT NULL,
                    PRIMARY KEY (device, seq)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS samples (device TEXT NOT NULL, type TEXT NOT NULL, t INTEGER NOT NULL, seen INTEGER NOT NULL,
                    PRIMARY KEY (device, type, t)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS watermarks (device TEXT NOT NULL, type TEXT NOT NULL, t INTEGER NOT NULL,
                    PRIMARY KEY (device, type)) WITHOUT ROWID;
                """ + WindowsSchema;
            setup.ExecuteNonQuery();
            return new IngestStateStore(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>True when the batch <c>(device, seq)</c> was committed before.</summary>
    public bool IsBatchSeen(string device, long seq) => Exists(_batchSeen, device, seq);

    /// <summary>True when a sample of the series at exactly <paramref name="time"/> was committed before.</summary>
    public bool IsSampleSeen(SeriesKey series, DateTimeOffset time) => Exists(_sampleSeen, series.Device, series.Type, time.UtcTicks);

    /// <summary>Time of the newest committed sample of the series, if any.</summary>
    public DateTimeOffset? Watermark(SeriesKey series) =>
        _watermarks.TryGetValue(series, out var ticks) ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>Records a handled batch's keys, watermarks and summary windows in one transaction.</summary>
    public void Commit(StateChanges changes, DateTimeOffset now)
    {
        using var staged = Stage(changes, now);
        staged.Complete();
    }

    /// <summary>
    /// Opens the batch's transaction and writes its dedupe keys and watermarks, without committing: the handler stages
    /// while the sinks write and completes (summary windows, then commit) once they acknowledged. Disposing a staged
    /// commit that was not completed rolls it back, so a failed batch leaves the state as it was.
    /// </summary>
    public StagedCommit Stage(StateChanges changes, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (_staged is not null)
        {
            throw new InvalidOperationException("A staged commit is still open.");
        }
        var transaction = _connection.BeginTransaction();
        try
        {
            var seen = now.UtcTicks;
            // Keys go in as one JSON parameter per table, expanded by SQLite itself: binding parameters row by row costs
            // far more than the B-tree inserts, and this is the stage's hottest write.
            if (changes.Batches.Count > 0)
            {
                using var batches = Prepare("""
                    INSERT OR IGNORE INTO batches (device, seq, seen)
                    SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), $b FROM json_each($a)
                    """, "$a", "$b");
                batches.Transaction = transaction;
                Execute(batches, StateJson.Batches(changes.Batches), seen);
            }
            if (changes.Samples.Count > 0)
            {
                using var samples = Prepare("""
                    WITH series AS MATERIALIZED (
                        SELECT json_extract(value, '$[0]') AS device, json_extract(value, '$[1]') AS type, json_extract(value, '$[2]') AS times
                        FROM json_each($a))
                    INSERT OR IGNORE INTO samples (device, type, t, seen)
                    SELECT series.device, series.type, t.value, $b FROM series, json_each(series.times) AS t
                    """, "$a", "$b");
                samples.Transaction = transaction;
                Execute(samples, StateJson.Samples(changes.Samples), seen);
            }
            using (var mark = Prepare(
                "INSERT INTO watermarks (device, type, t) VALUES ($a, $b, $c) ON CONFLICT (device, type) DO UPDATE SET t = max(t, excluded.t)",
                "$a", "$b", "$c"))
            {
                mark.Transaction = transaction;
                foreach (var (series, ticks) in changes.Watermarks)
                {
                    Execute(mark, series.Device, series.Type, ticks);
                }
            }
        }
        catch
        {
            transaction.Dispose();
            throw;
        }
        _staged = transaction;
        _windowRead.Transaction = transaction;
        return new StagedCommit(this, changes, transaction);
    }

    private void Complete(StateChanges changes, SqliteTransaction transaction)
    {
        WriteWindows(changes, transaction);
        transaction.Commit();
        foreach (var (series, ticks) in changes.Watermarks)
        {
            _watermarks[series] = _watermarks.TryGetValue(series, out var old) ? Math.Max(old, ticks) : ticks;
        }
        CacheWindows(changes);
    }

    private void Close(SqliteTransaction transaction)
    {
        transaction.Dispose();
        _staged = null;
        _windowRead.Transaction = null;
    }

    /// <summary>A batch's state, written but not committed; see <see cref="Stage"/>.</summary>
    public sealed class StagedCommit : IDisposable
    {
        private readonly IngestStateStore _store;
        private readonly StateChanges _changes;
        private SqliteTransaction? _transaction;

        internal StagedCommit(IngestStateStore store, StateChanges changes, SqliteTransaction transaction)
        {
            _store = store;
            _changes = changes;
            _transaction = transaction;
        }

        /// <summary>Adds the summary windows of the changes and commits.</summary>
        public void Complete()
        {
            var transaction = _transaction ?? throw new InvalidOperationException("The staged commit is closed.");
            try
            {
                _store.Complete(_changes, transaction);
            }
            finally
            {
                _transaction = null;
                _store.Close(transaction);
            }
        }

        public void Dispose()
        {
            if (_transaction is { } transaction)
            {
                _transaction = null;
                _store.Close(transaction);
            }
        }
    }

    /// <summary>
    /// Removes batch keys recorded before <paramref name="batchCutoff"/>, and sample keys more than
    /// <paramref name="sampleWindow"/> behind their series' watermark: such a sample would be too late anyway, so its
    /// key no longer decides anything on the main path. Deletes per series by primary-key range, never by table scan.
    /// Summary windows that start before <paramref name="windowCutoff"/> go too. Returns how many rows went.
    /// </summary>
    public int Prune(DateTimeOffset batchCutoff, TimeSpan sampleWindow, DateTimeOffset windowCutoff = default)
    {
        using var transaction = _connection.BeginTransaction();
        using var batches = Prepare("DELETE FROM batches WHERE seen < $a", "$a");
        batches.Transaction = transaction;
        batches.Parameters[0].Value = batchCutoff.UtcTicks;
        var removed = batches.ExecuteNonQuery();
        using var samples = Prepare("DELETE FROM samples WHERE device = $a AND type = $b AND t < $c", "$a", "$b", "$c");
        samples.Transaction = transaction;
        foreach (var (series, watermark) in _watermarks)
        {
            SetValues(samples, [series.Device, series.Type, watermark - sampleWindow.Ticks]);
            removed += samples.ExecuteNonQuery();
        }
        removed += PruneWindows(windowCutoff, transaction);
        transaction.Commit();
        return removed;
    }

    public void Dispose()
    {
        _batchSeen.Dispose();
        _sampleSeen.Dispose();
        _windowRead.Dispose();
        _connection.Dispose();
    }

    private SqliteCommand Prepare(string sql, params string[] names)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in names)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }
        return command;
    }

    private static bool Exists(SqliteCommand command, params object[] values)
    {
        SetValues(command, values);
        return command.ExecuteScalar() is not null;
    }

    private static void Execute(SqliteCommand command, params object[] values)
    {
        SetValues(command, values);
        command.ExecuteNonQuery();
    }

    private static void SetValues(SqliteCommand command, object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }
    }
}

/// <summary>A series: one sample type from one device.</summary>
public readonly record struct SeriesKey(string Device, string Type);
