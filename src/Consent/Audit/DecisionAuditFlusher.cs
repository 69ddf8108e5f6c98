using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PatientStream.Consent.Audit;

/// <summary>Writes aggregated decisions every audit period and everything still pending at shutdown.</summary>
public sealed class DecisionAuditFlusher(DecisionAuditor auditor, TimeProvider clock, ILogger<DecisionAuditFlusher> logger) : BackgroundService
{
    private readonly DecisionAuditor _auditor = auditor;
    private readonly TimeProvider _clock = clock;
    private readonly ILogger<DecisionAuditFlusher> _logger = logger;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_auditor.Period, _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await FlushAsync(all: false, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the final flush follows.
        }

        await FlushAsync(all: true, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task FlushAsync(bool all, CancellationToken cancellationToken)
    {
        try
        {
            await _auditor.FlushAsync(all, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The audit store is unavailable: keep serving; the error says which counts could not be written.
            _logger.LogError(ex, "Could not write aggregated consent decisions to the audit trail");
        }
    }
}
