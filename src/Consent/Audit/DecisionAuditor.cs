using System.Text;
using PatientStream.Consent.Policy;

namespace PatientStream.Consent.Audit;

/// <summary>
/// Aggregates consent decisions for the audit trail: readings arrive many times a second, so instead of one
/// AuditEvent per decision there is one per device (or patient) and question whenever the decision changes, and
/// at least one per period while it stays the same; each event counts the identical decisions it stands for.
/// </summary>
public sealed class DecisionAuditor(AuditTrail audit, TimeProvider clock, TimeSpan period, int maxTracked = 100_000)
{
    private readonly Dictionary<string, Run> _runs = new(StringComparer.Ordinal);
    private readonly AuditTrail _audit = audit;
    private readonly TimeProvider _clock = clock;
    private readonly TimeSpan _period = period;
    private readonly int _maxTracked = maxTracked;

    public async Task ObserveAsync(ConsentRequest request, ConsentDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(decision);
        var key = Key(request);
        var fingerprint = Fingerprint(decision);
        var now = _clock.GetUtcNow();
        long count;
        DateTimeOffset since;
        lock (_runs)
        {
            if (_runs.TryGetValue(key, out var run) && run.Fingerprint == fingerprint && now - run.LastWritten < _period)
            {
                run.Suppressed++;
                return;
            }

            // A new question, a changed decision, or a period gone by: write one event standing for the run so far.
            count = run is not null && run.Fingerprint == fingerprint ? run.Suppressed + 1 : 1;
            since = run is not null && run.Fingerprint == fingerprint ? run.LastWritten : now;
            if (run is null && _runs.Count >= _maxTracked)
            {
                // Forgetting runs only ever produces more audit events, never fewer.
                _runs.Clear();
            }

            _runs[key] = new Run(fingerprint, now);
        }

        await _audit.ConsentDecisionAsync(request, decision, count, since, cancellationToken).ConfigureAwait(false);
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

    private sealed class Run(string fingerprint, DateTimeOffset lastWritten)
    {
        public string Fingerprint { get; } = fingerprint;

        public DateTimeOffset LastWritten { get; } = lastWritten;

        public long Suppressed { get; set; }
    }
}
