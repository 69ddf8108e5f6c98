using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace PatientStream.EdgeAgent.Buffer;

/// <summary>
/// The store-and-forward buffer: a SQLite database in WAL mode with <c>synchronous=FULL</c>, so a batch whose
/// <see cref="AppendAsync"/> returned survives kill -9 and power loss. Appends are group-committed (many per fsync).
/// Batches are read back in arrival order and deleted only after Kafka confirmed them. <c>(device, seq)</c> is
/// unique while held, so a device's retransmission does not enter twice.
/// </summary>
public sealed partial class DurableBuffer : IAsyncDisposable
{
    private readonly BufferOptions _options;
    private readonly EdgeMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly SqliteConnection _db;
    private readonly Lock _dbLock = new();
    private readonly Channel<PendingAppend> _appends;
    private readonly Task _writer;
    private readonly Lock _roomLock = new();
    private TaskCompletionSource _roomFreed = NewSignal();
    private TaskCompletionSource _dataAdded = NewSignal();
    private long _count;
    private long _bytes;
    private long _reservedBytes;
    private long _lastId;
    private const long DiskCheckBytes = 1L << 20;
    private const long DiskCheckMs = 1_000;
    private long _sinceDiskCheck;
    private long _diskCheckedAt;
    private bool _diskHadRoom;
    private int _disposed;

    private DurableBuffer(BufferOptions options, EdgeMetrics metrics, TimeProvider time, SqliteConnection db)
    {
        _options = options;
        _metrics = metrics;
        _time = time;
        _db = db;
        _appends = Channel.CreateBounded<PendingAppend>(new BoundedChannelOptions(options.AppendQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        (_count, _bytes, _lastId) = QueryTotals();
        _heldFloor = _lastId;
        metrics.SetBufferState(() => (Count, Bytes, OldestAge().TotalSeconds));
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Batches held now.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Payload bytes held now.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Opens (creating when missing) the buffer at <see cref="BufferOptions.Path"/>; batches left by a crash are kept.</summary>
    public static DurableBuffer Open(BufferOptions options, EdgeMetrics metrics, TimeProvider? time = null)
    {
        BufferOptionsValidator.EnsureValid(options);
        ArgumentNullException.ThrowIfNull(metrics);
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(options.Path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }
        var db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = options.Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        try
        {
            db.Open();
            Execute(db, """
                PRAGMA journal_mode=WAL;
                PRAGMA synchronous=FULL;
                CREATE TABLE IF NOT EXISTS batches(
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  device TEXT NOT NULL,
                  seq INTEGER NOT NULL,
                  key TEXT NOT NULL,
                  value BLOB NOT NULL,
                  received INTEGER NOT NULL,
                  UNIQUE(device, seq));
                CREATE TABLE IF NOT EXISTS quarantine(
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  topic TEXT NOT NULL,
                  reason TEXT NOT NULL,
                  payload BLOB NOT NULL,
                  at INTEGER NOT NULL);
                """);
            return new DurableBuffer(options, metrics, time ?? TimeProvider.System, db);
        }
        catch (SqliteException e)
        {
            db.Dispose();
            throw new EdgeBufferException($"cannot open the edge buffer at {options.Path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Stores a batch durably and returns once it is on disk: only then may the MQTT message be acknowledged.
    /// Waits while the buffer is full (see <see cref="BufferOptions"/> for the policy). Throws
    /// <see cref="EdgeBufferException"/> when storage fails.
    /// </summary>
    public ValueTask<AppendOutcome> AppendAsync(BufferEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        cancellationToken.ThrowIfCancellationRequested();
        // The usual case, room and queue space now: the completion's own task is returned, so no continuation is
        // registered per append and a commit of thousands of appends wakes only whoever awaits the first of them.
        if (TryReserveRoom(entry.Value.Length, out _))
        {
            var pending = new PendingAppend(entry);
            return _appends.Writer.TryWrite(pending) ? new ValueTask<AppendOutcome>(pending.Completion.Task) : QueueAsync(pending, cancellationToken);
        }
        return ReserveAndQueueAsync(entry, cancellationToken);
    }

    private async ValueTask<AppendOutcome> ReserveAndQueueAsync(BufferEntry entry, CancellationToken cancellationToken)
    {
        while (!TryReserveRoom(entry.Value.Length, out var freed))
        {
            await freed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        return await QueueAsync(new PendingAppend(entry), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Queues an append whose room is reserved, giving the reservation back when it cannot be queued.</summary>
    private async ValueTask<AppendOutcome> QueueAsync(PendingAppend pending, CancellationToken cancellationToken)
    {
        try
        {
            await _appends.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ReleaseReservation(pending.Entry.Value.Length);
            throw;
        }
        return await pending.Completion.Task.ConfigureAwait(false);
    }

    /// <param name="freed">When there is no room: completes the next time room is freed.</param>
    private bool TryReserveRoom(long size, out Task freed)
    {
        lock (_roomLock)
        {
            var used = Interlocked.Read(ref _bytes) + _reservedBytes;
            // A single batch larger than the whole budget is let in when the buffer is empty, or it would wait forever.
            if ((used + size <= _options.MaxBytes || used == 0) && HasFreeDisk(size))
            {
                _reservedBytes += size;
                freed = Task.CompletedTask;
                return true;
            }
            freed = _roomFreed.Task;
            return false;
        }
    }

    /// <summary>
    /// Free space is asked of the OS at most every <see cref="DiskCheckBytes"/> appended or <see cref="DiskCheckMs"/>,
    /// not on every append (a statfs per batch was measurable): the floor is kept to within that much.
    /// Called under <see cref="_roomLock"/>.
    /// </summary>
    private bool HasFreeDisk(long size)
    {
        if (_options.MinFreeDiskBytes == 0)
        {
            return true;
        }
        var now = Environment.TickCount64;
        _sinceDiskCheck += size;
        if (!_diskHadRoom || _sinceDiskCheck > DiskCheckBytes || now - _diskCheckedAt >= DiskCheckMs)
        {
            var root = System.IO.Path.GetPathRoot(System.IO.Path.GetFullPath(_options.Path)) ?? "/";
            _diskHadRoom = new DriveInfo(root).AvailableFreeSpace >= _options.MinFreeDiskBytes;
            _diskCheckedAt = now;
            _sinceDiskCheck = 0;
        }
        return _diskHadRoom;
    }

    private void ReleaseReservation(long size)
    {
        lock (_roomLock)
        {
            _reservedBytes -= size;
        }
    }

    /// <summary>The oldest batches, in arrival order.</summary>
    public IReadOnlyList<BufferedBatch> ReadOldest(int max) => ReadAfter(0, max);

    /// <summary>The oldest batches that arrived after the batch <paramref name="afterId"/>, in arrival order.</summary>
    public IReadOnlyList<BufferedBatch> ReadAfter(long afterId, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        return ReadHeld(afterId, max) ?? ReadStored(afterId, max);
    }

    private List<BufferedBatch> ReadStored(long afterId, int max)
    {
        var result = new List<BufferedBatch>(Math.Min(max, 1024));
        lock (_dbLock)
        {
            using var select = _db.CreateCommand();
            select.CommandText = "SELECT id, device, seq, key, value, received FROM batches WHERE id > $after ORDER BY id LIMIT $n";
            select.Parameters.AddWithValue("$after", afterId);
            select.Parameters.AddWithValue("$n", max);
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                result.Add(new BufferedBatch(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3),
                    (byte[])reader.GetValue(4), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5))));
            }
        }
        return result;
    }

    /// <summary>Removes batches Kafka confirmed now, freeing room for appends (the forwarder uses <see cref="DeleteWithNextCommit"/>).</summary>
    public void Delete(IReadOnlyCollection<BufferedBatch> delivered)
    {
        ArgumentNullException.ThrowIfNull(delivered);
        if (delivered.Count == 0)
        {
            return;
        }
        lock (_dbLock)
        {
            // A delete lost to power failure only means a batch is sent again (at-least-once), so deletes skip the
            // fsync that appends need.
            Execute(_db, "PRAGMA synchronous=NORMAL");
            try
            {
                using var transaction = _db.BeginTransaction();
                var (removed, bytes) = DeleteRuns(transaction, [.. delivered]);
                transaction.Commit();
                Interlocked.Add(ref _count, -removed);
                Interlocked.Add(ref _bytes, -bytes);
            }
            finally
            {
                Execute(_db, "PRAGMA synchronous=FULL");
            }
        }
        Release(delivered);
        SignalRoom();
    }

    /// <summary>Completes once a batch that arrived after the batch <paramref name="afterId"/> is held (at once if one is).</summary>
    public Task WaitForAppendAfterAsync(long afterId, CancellationToken cancellationToken)
    {
        var signal = Volatile.Read(ref _dataAdded).Task;
        return Volatile.Read(ref _lastId) > afterId ? Task.CompletedTask : signal.WaitAsync(cancellationToken);
    }

    private TimeSpan OldestAge()
    {
        long? oldest;
        lock (_dbLock)
        {
            using var select = _db.CreateCommand();
            select.CommandText = "SELECT received FROM batches ORDER BY id LIMIT 1";
            oldest = select.ExecuteScalar() as long?;
        }
        return oldest is null ? TimeSpan.Zero : _time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(oldest.Value);
    }

    private (long Count, long Bytes, long LastId) QueryTotals()
    {
        lock (_dbLock)
        {
            using var select = _db.CreateCommand();
            select.CommandText = "SELECT COUNT(*), COALESCE(SUM(LENGTH(value)), 0), COALESCE(MAX(id), 0) FROM batches";
            using var reader = select.ExecuteReader();
            reader.Read();
            return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }
    }

    private void SignalRoom()
    {
        TaskCompletionSource freed;
        lock (_roomLock)
        {
            freed = _roomFreed;
            _roomFreed = NewSignal();
        }
        freed.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static void Execute(SqliteConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Finishes the appends and deletions already queued, then closes the database. Safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _appends.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        lock (_dbLock)
        {
            // The gauges keep the last totals once the database is closed.
            var (count, bytes) = (Count, Bytes);
            _metrics.SetBufferState(() => (count, bytes, 0));
            _db.Dispose();
        }
    }

    private sealed class PendingAppend(BufferEntry entry)
    {
        public BufferEntry Entry { get; } = entry;
        public AppendOutcome Outcome { get; set; }
        public TaskCompletionSource<AppendOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
