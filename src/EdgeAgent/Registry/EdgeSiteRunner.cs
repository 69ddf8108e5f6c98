using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PatientStream.Consent.Client;

namespace PatientStream.EdgeAgent.Registry;

/// <summary>Where the site's consent service is and how fresh the edge keeps what it learns from it.</summary>
public sealed record EdgeRegistryOptions
{
    /// <summary>Base address of the consent service (the <c>consent/v1</c> and <c>attestation/v1</c> APIs).</summary>
    public required Uri ConsentService { get; init; }

    /// <summary>How long a consent decision or a device binding is reused (the consent client's TTL).</summary>
    public TimeSpan CacheTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the consent change feed is read to drop stale decisions early.</summary>
    public TimeSpan InvalidationInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the revocation list is fetched.</summary>
    public TimeSpan RevocationRefresh { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A revocation list older than this counts every device revoked (fail closed).</summary>
    public TimeSpan RevocationMaxAge { get; init; } = TimeSpan.FromMinutes(2);

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(ConsentService);
        if (CacheTtl <= TimeSpan.Zero || InvalidationInterval <= TimeSpan.Zero || RevocationRefresh <= TimeSpan.Zero)
        {
            throw new ArgumentException("EdgeRegistryOptions intervals must be positive.", nameof(CacheTtl));
        }
        if (RevocationMaxAge <= RevocationRefresh)
        {
            throw new ArgumentException("EdgeRegistryOptions.RevocationMaxAge must be longer than RevocationRefresh.", nameof(RevocationMaxAge));
        }
    }
}

/// <summary>
/// The edge agent wired to the site's consent service, as <c>patientstream edge</c> runs it: consent decisions with
/// the client's cache and change-feed invalidation, device bindings cached and kept current by the same change feed
/// (so batches are not held on HTTP), and the revocation list refreshed on a timer.
/// </summary>
public static class EdgeSiteRunner
{
    /// <param name="started">Receives the agent once built (for status output and metrics).</param>
    public static async Task RunAsync(EdgeAgentOptions options, EdgeRegistryOptions registry, ILoggerFactory? loggers,
        Action<EdgeAgentService>? started, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Validate();
        loggers ??= NullLoggerFactory.Instance;
        var logger = loggers.CreateLogger(typeof(EdgeSiteRunner));
        var clock = TimeProvider.System;
        using var http = new HttpClient { BaseAddress = registry.ConsentService, Timeout = TimeSpan.FromSeconds(10) };
        var revocations = new RevocationListClient(http, clock, registry.RevocationMaxAge);
        if (!await revocations.RefreshAsync(cancellationToken).ConfigureAwait(false))
        {
            logger.LogWarning("The revocation list could not be fetched; every device counts as revoked until it is");
        }
        var decisions = new ConsentDecisionClient(http, new ConsentClientOptions { CacheTtl = registry.CacheTtl }, clock);
        var devices = new ConsentServiceDevices(http, revocations, clock, registry.CacheTtl);
        using var agent = new EdgeAgentService(options, devices, new ConsentServiceDecider(decisions), loggers, clock);
        started?.Invoke(agent);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var invalidation = decisions.RunInvalidationAsync(registry.InvalidationInterval, stop.Token);
        var refresh = RefreshRevocationsAsync(revocations, registry.RevocationRefresh, logger, stop.Token);
        var bindings = devices.RunChangeFeedAsync(registry.InvalidationInterval,
            e => logger.LogWarning("Reading the consent change feed for device bindings failed ({Error}); bindings expire by TTL until it works", e.GetType().Name),
            stop.Token);
        try
        {
            await agent.RunAsync(stop.Token).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await IgnoreCancellation(invalidation).ConfigureAwait(false);
            await IgnoreCancellation(refresh).ConfigureAwait(false);
            await IgnoreCancellation(bindings).ConfigureAwait(false);
        }
    }

    private static async Task RefreshRevocationsAsync(RevocationListClient revocations, TimeSpan interval, ILogger logger, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await revocations.RefreshAsync(cancellationToken).ConfigureAwait(false))
            {
                logger.LogWarning("Refreshing the revocation list failed; the previous list is used until it is too old");
            }
        }
    }

    private static async Task IgnoreCancellation(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
