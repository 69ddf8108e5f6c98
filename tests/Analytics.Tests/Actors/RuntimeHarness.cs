using System.Threading.Channels;
using PatientStream.Analytics.Actors;
using PatientStream.Analytics.Tests.Support;

namespace PatientStream.Analytics.Tests.Actors;

/// <summary>A real SQLite snapshot store, a manual clock and the channels the tests await.</summary>
public sealed class RuntimeHarness : IAsyncDisposable
{
    private readonly TempFolder _folder;
    private readonly List<ActorRuntime<Probe>> _runtimes = [];
    private readonly CancellationTokenSource _deadline = new(TimeSpan.FromSeconds(60));

    private RuntimeHarness(TempFolder folder, SqliteSnapshotStore store)
    {
        _folder = folder;
        Store = store;
    }

    public SqliteSnapshotStore Store { get; }

    public string StorePath => _folder.File("snapshots.db");

    public ManualTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 21, 8, 0, 0, TimeSpan.Zero));

    public Channel<Handled> Log { get; } = Channel.CreateUnbounded<Handled>();

    public Channel<DeadLetter<Probe>> DeadLetters { get; } = Channel.CreateUnbounded<DeadLetter<Probe>>();

    public RecordingObserver Observer { get; } = new();

    /// <summary>Guards every wait against a hang; a correct run never gets near it.</summary>
    public CancellationToken Deadline => _deadline.Token;

    public static async Task<RuntimeHarness> StartAsync()
    {
        var folder = new TempFolder();
        var store = await SqliteSnapshotStore.OpenAsync(folder.File("snapshots.db"), CancellationToken.None);
        return new RuntimeHarness(folder, store);
    }

    public ActorRuntime<Probe> CreateRuntime(ActorRuntimeOptions? options = null)
    {
        var runtime = new ActorRuntime<Probe>(
            key => new SequenceActor(key, Log.Writer),
            Store,
            (letter, _) => DeadLetters.Writer.WriteAsync(letter, CancellationToken.None),
            options ?? new ActorRuntimeOptions(),
            Time,
            isActivity: probe => !probe.IsTick,
            Observer);
        _runtimes.Add(runtime);
        return runtime;
    }

    /// <summary>Waits until the actor of <paramref name="key"/> reports having handled <paramref name="seq"/>.</summary>
    public async Task<Handled> WaitHandledAsync(string key, int seq)
    {
        while (true)
        {
            var handled = await Log.Reader.ReadAsync(Deadline);
            if (handled.Key == key && handled.Seq == seq)
            {
                return handled;
            }
        }
    }

    public async Task<(int OutOfOrder, int[] Seen)> StoredStateAsync(string key)
    {
        var snapshot = await Store.LoadAsync(key, Deadline);
        Assert.NotNull(snapshot);
        return SequenceActor.Decode(snapshot.Data.Span);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var runtime in _runtimes)
        {
            await runtime.DisposeAsync();
        }

        _deadline.Dispose();
        _folder.Dispose();
    }
}
