using System.Buffers;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace PatientStream.Analytics.Actors;

/// <summary>
/// One actor: its mailbox, its live behaviour and its last snapshot. Senders write to the mailbox and schedule the
/// cell on the thread pool when it is not already scheduled; the single execution at a time drains the mailbox.
/// Lifecycle work (passivation, retirement, checkpoints) runs inside that same execution, so it never races a
/// message. The gate lock is taken only for mailbox creation and closing, never per message.
/// </summary>
internal sealed class ActorCell<TMessage> : IThreadPoolWorkItem
{
    private static readonly TimeSpan s_failureBackoff = TimeSpan.FromSeconds(1);
    private readonly ActorRuntime<TMessage> _runtime;
    private readonly Lock _gate = new();
    private Channel<TMessage>? _mailbox;
    private int _scheduled;
    private IActor<TMessage>? _actor;
    private bool _storeChecked;
    private byte[]? _snapshot;
    private long _snapshotVersion;
    private long _persistedVersion;
    private TMessage[]? _journal;
    private int _journalCount;
    private long _lastActivityTicks;
    private CellRequest? _requests;
    private bool _retired;

    public ActorCell(ActorRuntime<TMessage> runtime, string key, int partition)
    {
        _runtime = runtime;
        Key = key;
        Partition = partition;
        _lastActivityTicks = runtime.UtcTicks();
    }

    public string Key { get; }

    public int Partition { get; }

    public bool IsActive => Volatile.Read(ref _actor) is not null;

    /// <summary>Active, or about to be: a message is waiting to activate it.</summary>
    public bool IsLive => IsActive || Volatile.Read(ref _mailbox) is not null;

    public long LastActivityTicks => Volatile.Read(ref _lastActivityTicks);

    /// <summary>Fast path: succeeds when a mailbox exists and has room.</summary>
    public bool TryPost(TMessage message)
    {
        var mailbox = Volatile.Read(ref _mailbox);
        if (mailbox is null || !mailbox.Writer.TryWrite(message))
        {
            return false;
        }

        // Safe without a fence: the write above and the executor's emptiness check both hold the channel's lock, so
        // either the executor sees the message or this read sees the executor's reset to 0.
        if (Volatile.Read(ref _scheduled) == 0)
        {
            ScheduleIfIdle();
        }

        return true;
    }

    /// <summary>The open mailbox, created if needed; null once the cell is retired (the sender must look the key up again).</summary>
    public Channel<TMessage>? EnsureMailbox()
    {
        lock (_gate)
        {
            if (_retired)
            {
                return null;
            }

            return _mailbox ??= Channel.CreateBounded<TMessage>(_runtime.MailboxOptions);
        }
    }

    public void ScheduleIfIdle()
    {
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Queues lifecycle work for the cell's own execution and returns when it is done.</summary>
    public Task<bool> RequestAsync(CellRequestKind kind)
    {
        var request = new CellRequest(kind);
        lock (_gate)
        {
            if (_retired)
            {
                return Task.FromResult(false);
            }

            request.Next = _requests;
            _requests = request;
        }

        ScheduleIfIdle();
        return request.Completion.Task;
    }

    public void Execute() => _ = RunAsync();

    private async Task RunAsync()
    {
        try
        {
            var mailbox = Volatile.Read(ref _mailbox);
            if (mailbox is not null)
            {
                await DrainAsync(mailbox, _runtime.Options.Throughput).ConfigureAwait(false);
            }

            // A retirement closes the mailbox itself, so a steady flow cannot starve it; a checkpoint or a passivation
            // waits for an empty mailbox, so that it covers every message sent before it was requested.
            if (Volatile.Read(ref _requests) is { } pending && (IsMailboxEmpty() || Includes(pending, CellRequestKind.Retire)))
            {
                await HandleRequestsAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Only the store (activation) or the dead-letter handler can get here. The cell stays schedulable, after a
            // pause, so an unreachable store does not turn into a busy loop.
            _runtime.Logger.LogError(ex, "Actor execution failed outside message handling; retrying in {Delay}", s_failureBackoff);
            try
            {
                await Task.Delay(s_failureBackoff, _runtime.Time, _runtime.Stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopping: the finally below still leaves the cell consistent.
            }
        }
        finally
        {
            Interlocked.Exchange(ref _scheduled, 0);
            if ((!IsMailboxEmpty() || Volatile.Read(ref _requests) is not null) && !Volatile.Read(ref _retired))
            {
                ScheduleIfIdle();
            }
        }
    }

    private static bool Includes(CellRequest? requests, CellRequestKind kind)
    {
        for (var r = requests; r is not null; r = r.Next)
        {
            if ((r.Kind & kind) != 0)
            {
                return true;
            }
        }

        return false;
    }

    private bool IsMailboxEmpty() => Volatile.Read(ref _mailbox) is not { } mailbox || !mailbox.Reader.TryPeek(out _);

    private async ValueTask DrainAsync(Channel<TMessage> mailbox, int budget)
    {
        if (_actor is null)
        {
            // Activate only for a message, and before taking it, so a failed activation loses nothing.
            if (!mailbox.Reader.TryPeek(out _))
            {
                return;
            }

            await ActivateAsync().ConfigureAwait(false);
        }

        var isActivity = _runtime.IsActivity;
        var context = new ActorContext(Key, IsReplay: false, _runtime.Stopping);
        var active = false;
        while (budget-- > 0 && mailbox.Reader.TryRead(out var message))
        {
            // Stamped before the message is handled, once per batch: whoever sees its effects sees the stamp too.
            if (!active && (isActivity is null || isActivity(message)))
            {
                active = true;
                Volatile.Write(ref _lastActivityTicks, _runtime.UtcTicks());
            }

            // Hot path: a synchronous, successful receive costs no state machine.
            ValueTask pending;
            try
            {
                pending = _actor!.ReceiveAsync(message, context);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                await RecoverAsync(message, ex).ConfigureAwait(false);
                continue;
            }

            if (pending.IsCompletedSuccessfully)
            {
                pending.GetAwaiter().GetResult();
                Journal(message);
            }
            else
            {
                await CompleteAsync(message, pending).ConfigureAwait(false);
            }
        }
    }

    private async ValueTask CompleteAsync(TMessage message, ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await RecoverAsync(message, ex).ConfigureAwait(false);
            return;
        }

        Journal(message);
    }

    // The first attempt failed with firstError: restart from the snapshot, retry, and dead-letter after MaxAttempts.
    private async ValueTask RecoverAsync(TMessage message, Exception firstError)
    {
        var context = new ActorContext(Key, IsReplay: false, _runtime.Stopping);
        var error = firstError;
        for (var attempt = 1; ; attempt++)
        {
            _runtime.Logger.LogWarning(error, "Actor failed on a message (attempt {Attempt}); restarting from its last snapshot", attempt);
            _runtime.Observer?.Restarted(Key, error, attempt);
            await RestartAsync().ConfigureAwait(false);
            if (attempt >= _runtime.Options.MaxAttempts)
            {
                await _runtime.DeadLetterAsync(new DeadLetter<TMessage>(Key, message, error, attempt)).ConfigureAwait(false);
                return;
            }

            try
            {
                await _actor!.ReceiveAsync(message, context).ConfigureAwait(false);
                Journal(message);
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                error = ex;
            }
        }
    }

    private void Journal(TMessage message)
    {
        var journal = _journal ??= new TMessage[_runtime.Options.SnapshotEvery];
        journal[_journalCount++] = message;
        if (_journalCount == journal.Length)
        {
            TakeSnapshot();
        }
    }

    private void TakeSnapshot()
    {
        try
        {
            var output = new ArrayBufferWriter<byte>(256);
            _actor!.WriteSnapshot(output);
            _snapshot = output.WrittenSpan.ToArray();
            _snapshotVersion++;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The actor keeps working; only a restart would lose what the missing snapshot should have held.
            _runtime.Logger.LogError(ex, "Actor could not write its snapshot; keeping the previous one");
        }

        if (_journal is not null)
        {
            Array.Clear(_journal, 0, _journalCount);
        }

        _journalCount = 0;
    }

    private async ValueTask ActivateAsync()
    {
        if (!_storeChecked)
        {
            var stored = await _runtime.Store.LoadAsync(Key, _runtime.Stopping).ConfigureAwait(false);
            _storeChecked = true;
            if (stored is not null)
            {
                _snapshot = stored.Data.ToArray();
                _snapshotVersion = _persistedVersion = stored.Version;
            }
        }

        _actor = CreateFromSnapshot();
        _runtime.Observer?.Activated(Key, _snapshot is not null);
    }

    private IActor<TMessage> CreateFromSnapshot()
    {
        var actor = _runtime.Factory(Key);
        if (_snapshot is not null)
        {
            try
            {
                actor.RestoreSnapshot(_snapshot);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Refusing to activate would stall the patient's mailbox for good; fresh state rebuilds from new data.
                _runtime.Logger.LogError(ex, "Actor snapshot version {Version} could not be restored; starting from empty state", _snapshotVersion);
                return _runtime.Factory(Key);
            }
        }

        return actor;
    }

    // Rebuilds the state the failed message saw: last snapshot plus the messages handled since, without output.
    private async ValueTask RestartAsync()
    {
        _actor = CreateFromSnapshot();
        var replay = new ActorContext(Key, IsReplay: true, _runtime.Stopping);
        for (var i = 0; i < _journalCount; i++)
        {
            try
            {
                await _actor.ReceiveAsync(_journal![i], replay).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // It succeeded the first time; a behaviour that is not deterministic is a bug worth a log line.
                _runtime.Logger.LogError(ex, "Actor failed while replaying a message it had handled before");
            }
        }
    }

    private async ValueTask HandleRequestsAsync()
    {
        CellRequest? requests;
        lock (_gate)
        {
            requests = _requests;
            _requests = null;
        }

        var kinds = CellRequestKind.None;
        for (var r = requests; r is not null; r = r.Next)
        {
            kinds |= r.Kind;
        }

        var done = true;
        try
        {
            if ((kinds & CellRequestKind.Retire) != 0)
            {
                done = await RetireAsync().ConfigureAwait(false);
            }
            else if ((kinds & CellRequestKind.Passivate) != 0)
            {
                done = await PassivateAsync().ConfigureAwait(false);
            }

            if ((kinds & CellRequestKind.Checkpoint) != 0 && !_retired)
            {
                await PersistAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The waiter (a revocation, a checkpoint before an offset commit) must learn that the state is not durable.
            _runtime.Logger.LogError(ex, "Actor lifecycle work failed");
            for (var r = requests; r is not null; r = r.Next)
            {
                r.Completion.TrySetException(ex);
            }

            return;
        }

        for (var r = requests; r is not null; r = r.Next)
        {
            r.Completion.TrySetResult(done);
        }
    }

    private async ValueTask PersistAsync()
    {
        if (_actor is not null && (_journalCount > 0 || _snapshot is null))
        {
            TakeSnapshot();
        }

        if (_snapshot is not null && _snapshotVersion > _persistedVersion)
        {
            await _runtime.Store.SaveAsync(Key, new ActorSnapshot(_snapshotVersion, _snapshot), _runtime.Stopping).ConfigureAwait(false);
            _persistedVersion = _snapshotVersion;
        }
    }

    private async ValueTask<bool> PassivateAsync()
    {
        if (_actor is null || !IsMailboxEmpty() || _runtime.UtcTicks() - LastActivityTicks < _runtime.Options.IdleTimeout.Ticks)
        {
            return false;
        }

        await CloseAndDrainAsync().ConfigureAwait(false);
        await PersistAsync().ConfigureAwait(false);
        lock (_gate)
        {
            if (_mailbox is not null)
            {
                // A message arrived while the snapshot was written: stay active.
                return false;
            }

            _actor = null;
            _journal = null;
        }

        _runtime.Observer?.Passivated(Key);
        return true;
    }

    private async ValueTask<bool> RetireAsync()
    {
        while (true)
        {
            await CloseAndDrainAsync().ConfigureAwait(false);
            await PersistAsync().ConfigureAwait(false);
            lock (_gate)
            {
                if (_mailbox is null)
                {
                    _retired = true;
                    _actor = null;
                    _journal = null;
                    _runtime.Remove(this);
                    break;
                }
            }
        }

        _runtime.Observer?.Retired(Key);
        return true;
    }

    // Closes the current mailbox so late senders open a new one, then handles what was already accepted.
    private async ValueTask CloseAndDrainAsync()
    {
        Channel<TMessage>? mailbox;
        lock (_gate)
        {
            mailbox = _mailbox;
            _mailbox = null;
            mailbox?.Writer.TryComplete();
        }

        if (mailbox is not null && mailbox.Reader.TryPeek(out _))
        {
            await DrainAsync(mailbox, int.MaxValue).ConfigureAwait(false);
        }
    }
}

[Flags]
internal enum CellRequestKind
{
    None = 0,
    Passivate = 1,
    Retire = 2,
    Checkpoint = 4,
}

internal sealed class CellRequest(CellRequestKind kind)
{
    public CellRequestKind Kind { get; } = kind;

    public TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CellRequest? Next { get; set; }
}
