using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PatientStream.Analytics.Actors;

/// <summary>
/// In-process actors, one per key (patient id), placed by Kafka partition ownership: an actor is activated by its
/// first message, passivated after <see cref="ActorRuntimeOptions.IdleTimeout"/> (live state dropped, snapshot kept
/// in memory and persisted), and retired with a persisted snapshot when its partition is revoked, so that the
/// instance that gets the partition next resumes from the same state.
/// </summary>
/// <typeparam name="TMessage">Message type.</typeparam>
public sealed class ActorRuntime<TMessage> : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ActorCell<TMessage>> _cells = new(StringComparer.Ordinal);
    private readonly Func<string, int, ActorCell<TMessage>> _createCell;
    private readonly Func<DeadLetter<TMessage>, CancellationToken, ValueTask> _deadLetter;
    private readonly TimeProvider _time;
    private readonly ITimer _sweepTimer;
    private readonly CancellationTokenSource _stopping = new();
    private readonly HashSet<int> _ownedPartitions = [];
    private readonly Lock _partitionsGate = new();
    private int _stopped;

    /// <summary>Creates a runtime and starts its passivation sweep.</summary>
    /// <param name="factory">Creates the behaviour of a newly activated actor (its state is then restored from the snapshot).</param>
    /// <param name="store">Durable snapshots.</param>
    /// <param name="deadLetter">Receives messages that failed every attempt (publish them to the DLQ topic).</param>
    /// <param name="options">Settings; validated here.</param>
    /// <param name="timeProvider">Clock for passivation; tests pass a manual one.</param>
    /// <param name="isActivity">
    /// Which messages count as activity for passivation (clock ticks should not keep an actor alive); null: all.
    /// </param>
    /// <param name="observer">Lifecycle notifications, or null.</param>
    /// <param name="logger">Logger; never given keys or payloads above Debug.</param>
    public ActorRuntime(
        Func<string, IActor<TMessage>> factory,
        ISnapshotStore store,
        Func<DeadLetter<TMessage>, CancellationToken, ValueTask> deadLetter,
        ActorRuntimeOptions options,
        TimeProvider? timeProvider = null,
        Func<TMessage, bool>? isActivity = null,
        IActorObserver? observer = null,
        ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(deadLetter);
        ArgumentNullException.ThrowIfNull(options);
        ActorRuntimeOptionsValidator.ThrowIfInvalid(options);
        Factory = factory;
        Store = store;
        _deadLetter = deadLetter;
        Options = options;
        _time = timeProvider ?? TimeProvider.System;
        IsActivity = isActivity;
        Observer = observer;
        Logger = logger ?? NullLogger.Instance;
        // Wait, not drop: a reading must never be lost; a full mailbox slows the consumer and Kafka holds the rest.
        MailboxOptions = new BoundedChannelOptions(options.MailboxCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        };
        _createCell = (key, partition) => new ActorCell<TMessage>(this, key, partition);
        _sweepTimer = _time.CreateTimer(
            static state => ((ActorRuntime<TMessage>)state!).SweepIdle(),
            this,
            options.PassivationSweepInterval,
            options.PassivationSweepInterval);
    }

    /// <summary>Number of actors known to this instance (active and passivated).</summary>
    public int Count => _cells.Count;

    /// <summary>Number of actors with live state.</summary>
    public int ActiveCount => _cells.Values.Count(c => c.IsActive);

    /// <summary>Partitions this instance owns.</summary>
    public IReadOnlyCollection<int> OwnedPartitions
    {
        get
        {
            lock (_partitionsGate)
            {
                return [.. _ownedPartitions];
            }
        }
    }

    internal ActorRuntimeOptions Options { get; }

    internal Func<string, IActor<TMessage>> Factory { get; }

    internal ISnapshotStore Store { get; }

    internal Func<TMessage, bool>? IsActivity { get; }

    internal IActorObserver? Observer { get; }

    internal ILogger Logger { get; }

    internal BoundedChannelOptions MailboxOptions { get; }

    internal CancellationToken Stopping => _stopping.Token;

    /// <summary>
    /// Delivers a message to the actor of <paramref name="key"/>, activating it if needed. Completes synchronously
    /// while the mailbox has room; otherwise waits for room (backpressure).
    /// </summary>
    /// <param name="key">Actor key (patient id).</param>
    /// <param name="partition">Kafka partition the key belongs to, or -1 outside Kafka.</param>
    /// <param name="message">Message.</param>
    /// <param name="cancellationToken">Cancels waiting for room.</param>
    public ValueTask SendAsync(string key, int partition, TMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (Volatile.Read(ref _stopped) != 0)
        {
            throw new ActorRuntimeException(ActorRuntimeException.StoppedCode, "The actor runtime is stopped.");
        }

        var cell = _cells.TryGetValue(key, out var found) ? found : _cells.GetOrAdd(key, _createCell, partition);
        return cell.TryPost(message) ? default : SendSlowAsync(key, partition, message, cancellationToken);
    }

    /// <summary>Delivers a message outside Kafka partitioning.</summary>
    public ValueTask SendAsync(string key, TMessage message, CancellationToken cancellationToken) =>
        SendAsync(key, -1, message, cancellationToken);

    /// <summary>Sends a message built per key to every actor that is live or has messages waiting (for example a clock tick).</summary>
    public async Task BroadcastToActiveAsync(Func<string, TMessage> create, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(create);
        foreach (var cell in _cells.Values)
        {
            if (cell.IsLive)
            {
                await SendAsync(cell.Key, cell.Partition, create(cell.Key), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Records newly owned partitions. Activation stays lazy: an actor of those partitions loads its snapshot when
    /// its first message arrives.
    /// </summary>
    public void OnPartitionsAssigned(IEnumerable<int> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        lock (_partitionsGate)
        {
            _ownedPartitions.UnionWith(partitions);
        }
    }

    /// <summary>
    /// Handles what the actors of the revoked partitions have already accepted, persists their snapshots and drops
    /// them. Call it from the consumer's revocation handler before offsets are committed, and wait for it.
    /// </summary>
    public async Task OnPartitionsRevokedAsync(IEnumerable<int> partitions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        var revoked = partitions.ToHashSet();
        lock (_partitionsGate)
        {
            _ownedPartitions.ExceptWith(revoked);
        }

        var retirements = _cells.Values.Where(c => revoked.Contains(c.Partition)).Select(c => c.RequestAsync(CellRequestKind.Retire));
        await Task.WhenAll(retirements).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Persists a snapshot of every actor that changed since its last persisted one, once each has handled all it
    /// was sent. Commit Kafka offsets only after this completes, so a crash replays at most what the snapshots miss.
    /// Call it while the senders are paused (as a consumer loop is while its batch is handled): an actor that keeps
    /// receiving messages delays its checkpoint.
    /// </summary>
    public Task CheckpointAsync(CancellationToken cancellationToken) => CheckpointAsync(_cells.Keys, cancellationToken);

    /// <summary>The same as <see cref="CheckpointAsync(CancellationToken)"/> for the given actors only (those a batch touched).</summary>
    public async Task CheckpointAsync(IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var checkpoints = new List<Task<bool>>();
        foreach (var key in keys)
        {
            if (_cells.TryGetValue(key, out var cell))
            {
                checkpoints.Add(cell.RequestAsync(CellRequestKind.Checkpoint));
            }
        }

        await Task.WhenAll(checkpoints).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops accepting messages, lets every actor finish what it accepted, and persists all snapshots.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _sweepTimer.DisposeAsync().ConfigureAwait(false);
        var retirements = _cells.Values.Select(c => c.RequestAsync(CellRequestKind.Retire));
        await Task.WhenAll(retirements).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            _stopping.Dispose();
        }
    }

    internal TimeProvider Time => _time;

    internal long UtcTicks() => _time.GetUtcNow().UtcTicks;

    internal void Remove(ActorCell<TMessage> cell) => _cells.TryRemove(new KeyValuePair<string, ActorCell<TMessage>>(cell.Key, cell));

    internal async ValueTask DeadLetterAsync(DeadLetter<TMessage> deadLetter)
    {
        Logger.LogError(deadLetter.Error, "Message dead-lettered after {Attempts} attempts", deadLetter.Attempts);
        await _deadLetter(deadLetter, Stopping).ConfigureAwait(false);
    }

    private async ValueTask SendSlowAsync(string key, int partition, TMessage message, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (Volatile.Read(ref _stopped) != 0)
            {
                throw new ActorRuntimeException(ActorRuntimeException.StoppedCode, "The actor runtime is stopped.");
            }

            var cell = _cells.GetOrAdd(key, _createCell, partition);
            var mailbox = cell.EnsureMailbox();
            if (mailbox is null)
            {
                // Retired between lookup and write; the next lookup finds a fresh cell that reloads the snapshot.
                continue;
            }

            if (mailbox.Writer.TryWrite(message))
            {
                cell.ScheduleIfIdle();
                return;
            }

            // False means the mailbox was closed for passivation or retirement: go round and open a new one.
            await mailbox.Writer.WaitToWriteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void SweepIdle()
    {
        var cutoff = UtcTicks() - Options.IdleTimeout.Ticks;
        foreach (var cell in _cells.Values)
        {
            if (cell.IsActive && cell.LastActivityTicks <= cutoff)
            {
                _ = cell.RequestAsync(CellRequestKind.Passivate);
            }
        }
    }
}
