using System.Buffers;

namespace PatientStream.Analytics.Actors;

/// <summary>
/// The behaviour of one actor. The runtime calls it from one thread at a time, one message at a time, so it needs
/// no locks. A throw restarts it from its last snapshot.
/// </summary>
/// <typeparam name="TMessage">Message type.</typeparam>
public interface IActor<TMessage>
{
    /// <summary>Handles one message. Most messages should complete synchronously; the hot path relies on it.</summary>
    ValueTask ReceiveAsync(TMessage message, ActorContext context);

    /// <summary>Writes the whole state. Must be deterministic and self-describing enough to survive a deployment.</summary>
    void WriteSnapshot(IBufferWriter<byte> output);

    /// <summary>Replaces the state with one written by <see cref="WriteSnapshot"/>.</summary>
    void RestoreSnapshot(ReadOnlySpan<byte> snapshot);
}

/// <summary>What an actor knows about the message it is handling.</summary>
/// <param name="Key">The actor's key (patient id).</param>
/// <param name="IsReplay">
/// The message is being re-applied after a restart to rebuild state: it was handled before, so it must not emit
/// output again.
/// </param>
/// <param name="CancellationToken">Cancelled when the runtime stops.</param>
public readonly record struct ActorContext(string Key, bool IsReplay, CancellationToken CancellationToken);

/// <summary>A message that failed every attempt; the actor has moved on without it.</summary>
/// <typeparam name="TMessage">Message type.</typeparam>
/// <param name="Key">Actor key.</param>
/// <param name="Message">The message.</param>
/// <param name="Error">The last exception.</param>
/// <param name="Attempts">How many times it was tried.</param>
public sealed record DeadLetter<TMessage>(string Key, TMessage Message, Exception Error, int Attempts);

/// <summary>Lifecycle notifications, for metrics and for tests to await. Called on runtime threads: keep them cheap.</summary>
public interface IActorObserver
{
    /// <summary>An actor was activated (first message, or first after passivation).</summary>
    void Activated(string key, bool fromSnapshot);

    /// <summary>An idle actor was passivated: live state dropped, snapshot kept and persisted.</summary>
    void Passivated(string key);

    /// <summary>An actor threw and was restarted from its last snapshot.</summary>
    void Restarted(string key, Exception exception, int attempt);

    /// <summary>An actor was snapshotted and removed because its partition was revoked or the runtime stopped.</summary>
    void Retired(string key);
}
