namespace PatientStream.Analytics.Actors;

/// <summary>Durable actor snapshots, keyed by actor key. Implementations must be safe for concurrent use.</summary>
public interface ISnapshotStore
{
    /// <summary>The latest snapshot of an actor, or null when it has none.</summary>
    ValueTask<ActorSnapshot?> LoadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Stores a snapshot unless the store already holds the same or a newer version.</summary>
    ValueTask SaveAsync(string key, ActorSnapshot snapshot, CancellationToken cancellationToken);
}

/// <summary>One version of an actor's state.</summary>
/// <param name="Version">Increases with every snapshot of the actor, across instances.</param>
/// <param name="Data">The bytes the actor wrote.</param>
public sealed record ActorSnapshot(long Version, ReadOnlyMemory<byte> Data);

/// <summary>A broken runtime invariant or protocol, with a stable code.</summary>
public sealed class ActorRuntimeException : Exception
{
    /// <summary>The runtime was stopped; no more messages are accepted.</summary>
    public const string StoppedCode = "actors.stopped";

    /// <summary>The snapshot store is not usable (schema from a newer release, unreadable file).</summary>
    public const string StoreUnusableCode = "actors.store-unusable";

    /// <summary>Creates the exception.</summary>
    public ActorRuntimeException(string code, string message, Exception? innerException = null)
        : base(message, innerException) => Code = code;

    /// <summary>Stable code.</summary>
    public string Code { get; }
}
