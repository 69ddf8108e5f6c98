using Microsoft.Data.Sqlite;
using PatientStream.Ingest.Cleaning;
using PatientStream.Ingest.Summaries;

namespace PatientStream.Ingest.State;

/// <summary>
/// Summary windows: the running totals of each (patient, type, window) live here, committed in the same transaction as
/// the dedupe keys of the batch that changed them. A batch redelivered after a crash therefore finds the totals as they
/// were before it, and the summary it writes again is the same one, never a double count.
/// </summary>
public sealed partial class IngestStateStore
{
    private const int MaxCachedWindows = 50_000;

    private const string WindowsSchema = """

        CREATE TABLE IF NOT EXISTS windows (patient TEXT NOT NULL, type TEXT NOT NULL, start INTEGER NOT NULL,
            count INTEGER NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, quality INTEGER NOT NULL,
            device TEXT NOT NULL, PRIMARY KEY (patient, type, start)) WITHOUT ROWID;
        """;

    private const string WindowRead = "SELECT count, sum, min, max, quality, device FROM windows WHERE patient = $a AND type = $b AND start = $c";

    private readonly SqliteCommand _windowRead;

    // Recently written windows: an open window is read back by every batch that feeds it.
    private readonly Dictionary<WindowKey, WindowAggregate> _windowCache = [];

    /// <summary>The committed totals of a window; empty (count 0) when nothing was committed to it.</summary>
    public WindowAggregate Window(WindowKey key)
    {
        if (_windowCache.TryGetValue(key, out var cached))
        {
            return cached;
        }
        SetValues(_windowRead, [key.Patient, key.Type, key.StartTicks]);
        using var reader = _windowRead.ExecuteReader();
        return reader.Read()
            ? new WindowAggregate(reader.GetInt64(0), reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3), (SampleQuality)reader.GetInt32(4),
                reader.GetString(5))
            : default;
    }

    private void WriteWindows(StateChanges changes, SqliteTransaction transaction)
    {
        if (changes.Windows.Count == 0)
        {
            return;
        }
        using var write = Prepare(
            "INSERT OR REPLACE INTO windows (patient, type, start, count, sum, min, max, quality, device) VALUES ($a, $b, $c, $d, $e, $f, $g, $h, $i)",
            "$a", "$b", "$c", "$d", "$e", "$f", "$g", "$h", "$i");
        write.Transaction = transaction;
        foreach (var (key, w) in changes.Windows)
        {
            Execute(write, key.Patient, key.Type, key.StartTicks, w.Count, w.Sum, w.Min, w.Max, (int)w.Quality, w.Device);
        }
    }

    private void CacheWindows(StateChanges changes)
    {
        if (_windowCache.Count + changes.Windows.Count > MaxCachedWindows)
        {
            _windowCache.Clear();
        }
        foreach (var (key, aggregate) in changes.Windows)
        {
            _windowCache[key] = aggregate;
        }
    }

    private int PruneWindows(DateTimeOffset cutoff, SqliteTransaction transaction)
    {
        if (cutoff == default)
        {
            return 0;
        }
        using var prune = Prepare("DELETE FROM windows WHERE start < $a", "$a");
        prune.Transaction = transaction;
        prune.Parameters[0].Value = cutoff.UtcTicks;
        var removed = prune.ExecuteNonQuery();
        if (removed > 0)
        {
            _windowCache.Clear();
        }
        return removed;
    }
}
