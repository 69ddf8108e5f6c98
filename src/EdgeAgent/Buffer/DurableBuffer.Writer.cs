using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace PatientStream.EdgeAgent.Buffer;

/// <summary>
/// The single writer: appends waiting and deletions of delivered batches go to disk together, in one transaction and
/// one fsync (group commit). The forwarder therefore never waits for the database, and appends do not queue behind
/// separate delete transactions.
/// </summary>
public sealed partial class DurableBuffer
{
    private readonly ConcurrentQueue<IReadOnlyCollection<BufferedBatch>> _delivered = new();
    private TaskCompletionSource _deliveredQueued = NewSignal();

    /// <summary>
    /// Removes batches Kafka confirmed with the next commit, without waiting for it: they leave memory at once (the
    /// forwarder will not read them again) and the disk together with the appends then waiting. Until that commit
    /// <see cref="Count"/> and <see cref="Bytes"/> still include them; a crash before it only sends them again.
    /// </summary>
    public void DeleteWithNextCommit(IReadOnlyCollection<BufferedBatch> delivered)
    {
        ArgumentNullException.ThrowIfNull(delivered);
        if (delivered.Count == 0)
        {
            return;
        }
        Release(delivered);
        _delivered.Enqueue(delivered);
        Interlocked.Exchange(ref _deliveredQueued, NewSignal()).TrySetResult();
    }

    private async Task WriteLoopAsync()
    {
        var group = new List<PendingAppend>(_options.MaxAppendsPerCommit);
        var deletes = new List<BufferedBatch>();
        Task<bool>? readable = null;
        var appendsOpen = true;
        while (true)
        {
            // The signal is read before the queue is looked at, so a deletion queued in between still wakes the loop.
            var deliveredQueued = Volatile.Read(ref _deliveredQueued).Task;
            if (appendsOpen && !_appends.Reader.TryPeek(out _) && _delivered.IsEmpty)
            {
                readable ??= _appends.Reader.WaitToReadAsync().AsTask();
                await Task.WhenAny(readable, deliveredQueued).ConfigureAwait(false);
                if (readable.IsCompleted)
                {
                    appendsOpen = await readable.ConfigureAwait(false);
                    readable = null;
                }
            }
            group.Clear();
            while (group.Count < _options.MaxAppendsPerCommit && _appends.Reader.TryRead(out var next))
            {
                group.Add(next);
            }
            deletes.Clear();
            while (_delivered.TryDequeue(out var batches))
            {
                deletes.AddRange(batches);
            }
            if (group.Count > 0 || deletes.Count > 0)
            {
                CommitGroup(group, deletes);
            }
            else if (!appendsOpen)
            {
                return;
            }
        }
    }

    private void CommitGroup(List<PendingAppend> group, List<BufferedBatch> deletes)
    {
        long stored;
        long removedBytes;
        try
        {
            (stored, removedBytes) = Write(group, deletes);
        }
        catch (SqliteException e)
        {
            lock (_roomLock)
            {
                foreach (var pending in group)
                {
                    _reservedBytes -= pending.Entry.Value.Length;
                }
            }
            var failure = new EdgeBufferException($"the edge buffer could not store {group.Count} batches: {e.Message}", e);
            foreach (var pending in group)
            {
                pending.Completion.TrySetException(failure);
            }
            return;
        }
        lock (_roomLock)
        {
            foreach (var pending in group)
            {
                _reservedBytes -= pending.Entry.Value.Length;
            }
            Interlocked.Add(ref _bytes, stored - removedBytes);
        }
        SignalRoom();
        if (group.Count > 0)
        {
            Interlocked.Exchange(ref _dataAdded, NewSignal()).TrySetResult();
        }
        foreach (var pending in group)
        {
            if (pending.Outcome == AppendOutcome.Stored)
            {
                _metrics.OnBuffered();
            }
            else
            {
                _metrics.OnDuplicate();
            }
            pending.Completion.TrySetResult(pending.Outcome);
        }
    }

    /// <returns>Payload bytes stored and removed.</returns>
    private (long Stored, long RemovedBytes) Write(List<PendingAppend> group, List<BufferedBatch> deletes)
    {
        lock (_dbLock)
        {
            using var transaction = _db.BeginTransaction();
            var (committed, storedBytes) = Insert(transaction, group);
            var (removed, removedBytes) = DeleteRuns(transaction, deletes);
            transaction.Commit();
            if (committed.Count > 0)
            {
                Hold(committed);
                Volatile.Write(ref _lastId, committed[^1].Id);
            }
            Interlocked.Add(ref _count, committed.Count - removed);
            return (storedBytes, removedBytes);
        }
    }

    private (List<BufferedBatch> Committed, long Bytes) Insert(SqliteTransaction transaction, List<PendingAppend> group)
    {
        var committed = new List<BufferedBatch>(group.Count);
        long storedBytes = 0;
        if (group.Count == 0)
        {
            return (committed, 0);
        }
        using var insert = _db.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT OR IGNORE INTO batches(device, seq, key, value, received) VALUES ($d, $s, $k, $v, $r)";
        var device = insert.Parameters.Add("$d", SqliteType.Text);
        var seq = insert.Parameters.Add("$s", SqliteType.Integer);
        var key = insert.Parameters.Add("$k", SqliteType.Text);
        var value = insert.Parameters.Add("$v", SqliteType.Blob);
        var received = insert.Parameters.Add("$r", SqliteType.Integer);
        foreach (var pending in group)
        {
            var entry = pending.Entry;
            var receivedMs = entry.Received.ToUnixTimeMilliseconds();
            device.Value = entry.Device;
            seq.Value = entry.Seq;
            key.Value = entry.Key;
            value.Value = entry.Value;
            received.Value = receivedMs;
            if (insert.ExecuteNonQuery() == 1)
            {
                pending.Outcome = AppendOutcome.Stored;
                storedBytes += entry.Value.Length;
                committed.Add(new BufferedBatch(SQLitePCL.raw.sqlite3_last_insert_rowid(_db.Handle), entry.Device, entry.Seq, entry.Key,
                    entry.Value, DateTimeOffset.FromUnixTimeMilliseconds(receivedMs)));
            }
            else
            {
                pending.Outcome = AppendOutcome.Duplicate;
            }
        }
        return (committed, storedBytes);
    }

    /// <summary>
    /// Deletes the batches as runs of consecutive ids (a delivered window is usually one run), counting what each
    /// statement really removed, so batches already gone are not counted twice.
    /// </summary>
    private (long Removed, long Bytes) DeleteRuns(SqliteTransaction transaction, List<BufferedBatch> deletes)
    {
        if (deletes.Count == 0)
        {
            return (0, 0);
        }
        var ids = deletes.Select(b => b.Id).Distinct().Order().ToList();
        using var delete = _db.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = "DELETE FROM batches WHERE id BETWEEN $first AND $last RETURNING length(value)";
        var first = delete.Parameters.Add("$first", SqliteType.Integer);
        var last = delete.Parameters.Add("$last", SqliteType.Integer);
        long removed = 0;
        long bytes = 0;
        for (var start = 0; start < ids.Count;)
        {
            var end = start;
            while (end + 1 < ids.Count && ids[end + 1] == ids[end] + 1)
            {
                end++;
            }
            first.Value = ids[start];
            last.Value = ids[end];
            using (var reader = delete.ExecuteReader())
            {
                while (reader.Read())
                {
                    removed++;
                    bytes += reader.GetInt64(0);
                }
            }
            start = end + 1;
        }
        return (removed, bytes);
    }
}
