using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PatientStream.Consent.Ca;

/// <summary>
/// Re-signs the CRL at half its lifetime so the file Mosquitto reads never passes its nextUpdate (an expired CRL
/// makes OpenSSL refuse every client). Revocations publish immediately; this only keeps an idle CRL fresh.
/// </summary>
public sealed class CrlRepublisher(DeviceCa ca, TimeProvider clock, ILogger<CrlRepublisher> logger) : BackgroundService
{
    private readonly DeviceCa _ca = ca;
    private readonly TimeProvider _clock = clock;
    private readonly ILogger<CrlRepublisher> _logger = logger;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _ca.PublishCrl();
        using var timer = new PeriodicTimer(_ca.Options.CrlLifetime / 2, _clock);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                _ca.PublishCrl();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Keep trying on the next tick; the previous CRL stays valid for another half lifetime.
                _logger.LogError(ex, "Could not republish the device CRL at {Path}", _ca.Options.CrlPath);
            }
        }
    }
}
