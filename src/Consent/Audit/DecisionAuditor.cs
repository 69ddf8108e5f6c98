using System.Text;
using PatientStream.Consent.Policy;

namespace PatientStream.Consent.Audit;

/// <summary>
/// Aggregates consent decisions for the audit trail: readings arrive many times a second, so instead of one
/// AuditEvent per decision there is one per device (or patient) and question whenever the decision changes, and
/// one per period while it stays the same. Each event counts the identical decisions it stands for
/// (<c>count</c>, <c>since</c>); decisions not yet written are written by <see cref="FlushAsync"/>, which runs
/// every period and at shutdown, so no decision goes unaccounted.
/// </summary>
public sealed class DecisionAuditor(AuditTrail audit, TimeProvider clock, TimeSpan period, int maxTracked = 100_000)
{
    private readonly Dictionary<string, Run> _runs = new(StringComparer.Ordinal);
    private readonly AuditTrail _audit = audit;
    private readonly TimeProvider _clock = clock;
    private readonly int _maxTracked = maxTracked;

    public TimeSpan Period { get; } = period;

    public async Task ObserveAsync(ConsentRequest request, ConsentDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(decision);
        var key = Key(request);
        var fingerprint = Fingerprint(decision);
        var now = _clock.GetUtcNow();
        var pending = new List<Pending>(2);
        lock (_runs)
        {
            if (_runs.TryGetValue(key, out var run) && run.Fingerprint == fingerprint && now - run.LastWritten < Period)
            {
                run.Suppressed++;
                return;
            }

            if (run is not null && run.Fingerprint == fingerprint)
            {
                // The period has passed: one event for the run so far, this decision included.
                pending.Add(new Pending(request, decision, run.Suppressed + 1, run.LastWritten));
            }
            else
            {
                if (run is { Suppressed: > 0 })
                {
                    // Close the previous decision's run before the change is recorded.
                    pending.Add(new Pending(run.Request, run.Decision, run.Suppressed, run.LastWritten));
                }

                pending.Add(new Pending(request, decision, 1, now));
            }

            if (run is null && _runs.Count >= _maxTracked)
            {
                FlushLocked(now, pending, all: true);
                _runs.Clear();
            }

            _runs[key] = new Run(request, decision, fingerprint, now);
        }

        await WriteAsync(pending, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes one event for every run with decisions not yet written; <paramref name="all"/> ignores the period.</summary>
    public Task FlushAsync(bool all, CancellationToken cancellationToken)
    {
        var pending = new List<Pending>();
        lock (_runs)
        {
            FlushLocked(_clock.GetUtcNow(), pending, all);
        }

        return WriteAsync(pending, cancellationToken);
    }

    private void FlushLocked(DateTimeOffset now, List<Pending> pending, bool all)
    {
        foreach (var run in _runs.Values)
        {
            if (run.Suppressed > 0 && (all || now - run.LastWritten >= Period))
            {
                pending.Add(new Pending(run.Request, run.Decision, run.Suppressed, run.LastWritten));
                run.Suppressed = 0;
                run.LastWritten = now;
            }
        }
    }

    private async Task WriteAsync(List<Pending> pending, CancellationToken cancellationToken)
    {
        foreach (var p in pending)
        {
            await _audit.ConsentDecisionAsync(p.Request, p.Decision, p.Count, p.Since, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Key(ConsentRequest r) =>
        string.Join('\u001f', r.Device ?? r.Patient, r.Patient, r.Purpose, r.Actor ?? "", r.Action ?? "", r.ResourceClass ?? "", string.Join(',', r.Codes));

    private static string Fingerprint(ConsentDecision decision)
    {
        var text = new StringBuilder(decision.Decision.ToString());
        foreach (var code in decision.Codes)
        {
            text.Append('|').Append(code.Code).Append('=').Append(code.Decision).Append('@').Append(code.Consent).Append('#').Append(code.Provision);
        }

        return text.ToString();
    }

    private sealed record Pending(ConsentRequest Request, ConsentDecision Decision, long Count, DateTimeOffset Since);

    private sealed class Run(ConsentRequest request, ConsentDecision decision, string fingerprint, DateTimeOffset lastWritten)
    {
        public ConsentRequest Request { get; } = request;

        public ConsentDecision Decision { get; } = decision;

        public string Fingerprint { get; } = fingerprint;

        public DateTimeOffset LastWritten { get; set; } = lastWritten;

        public long Suppressed { get; set; }
    }
}
