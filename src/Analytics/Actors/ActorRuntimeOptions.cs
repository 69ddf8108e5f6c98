using Microsoft.Extensions.Options;

namespace PatientStream.Analytics.Actors;

/// <summary>Settings of the actor runtime; defaults suit per-patient analytics.</summary>
public sealed class ActorRuntimeOptions
{
    /// <summary>Mailbox capacity per actor. When full, senders wait (backpressure to the Kafka consumer). Default 256.</summary>
    public int MailboxCapacity { get; set; } = 256;

    /// <summary>Messages an actor handles before yielding its thread to other actors. Default 64.</summary>
    public int Throughput { get; set; } = 64;

    /// <summary>
    /// An in-memory snapshot is taken every this many messages; after a throw the actor restarts from it and the
    /// messages since are replayed. Default 64.
    /// </summary>
    public int SnapshotEvery { get; set; } = 64;

    /// <summary>Attempts at one message before it goes to the dead-letter handler. Default 3.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>An actor with no activity for this long is passivated. Default 30 minutes.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often idle actors are looked for. Default 1 minute.</summary>
    public TimeSpan PassivationSweepInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Fails start-up on settings the runtime cannot work with.</summary>
public sealed class ActorRuntimeOptionsValidator : IValidateOptions<ActorRuntimeOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, ActorRuntimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.MailboxCapacity is < 1 or > 1_000_000)
        {
            failures.Add("Actors:MailboxCapacity must be between 1 and 1,000,000.");
        }

        if (options.Throughput is < 1 or > 100_000)
        {
            failures.Add("Actors:Throughput must be between 1 and 100,000.");
        }

        if (options.SnapshotEvery is < 1 or > 100_000)
        {
            failures.Add("Actors:SnapshotEvery must be between 1 and 100,000.");
        }

        if (options.MaxAttempts is < 1 or > 100)
        {
            failures.Add("Actors:MaxAttempts must be between 1 and 100.");
        }

        if (options.IdleTimeout <= TimeSpan.Zero)
        {
            failures.Add("Actors:IdleTimeout must be above zero.");
        }

        if (options.PassivationSweepInterval <= TimeSpan.Zero)
        {
            failures.Add("Actors:PassivationSweepInterval must be above zero.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> when the options are invalid.</summary>
    public static void ThrowIfInvalid(ActorRuntimeOptions options)
    {
        var result = new ActorRuntimeOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(nameof(ActorRuntimeOptions), typeof(ActorRuntimeOptions), result.Failures);
        }
    }
}
