using PatientStream.Analytics.Contracts;

namespace PatientStream.Analytics.Patients;

/// <summary>One alert episode of one kind and subject.</summary>
internal sealed class AlertState(AlertKind kind, string subject)
{
    public AlertKind Kind { get; } = kind;

    public string Subject { get; } = subject;

    public int Severity { get; set; }

    public int EscalationLevel { get; set; }

    public DateTimeOffset RaisedAt { get; set; }

    public DateTimeOffset LastNotifiedAt { get; set; }

    public DateTimeOffset? ClearSince { get; set; }

    public int Occurrences { get; set; }

    public string Summary { get; set; } = "";
}

/// <summary>
/// The alert state machine of one patient: raise once, repeat silently (deduplicate), escalate on a higher severity
/// or when an alert stays active past <see cref="PatientAnalyticsOptions.EscalateAfter"/>, and resolve only after the
/// condition has stayed clear for <see cref="PatientAnalyticsOptions.ResolveAfter"/>, so a value hovering at a
/// threshold cannot cause an alert storm.
/// </summary>
internal sealed class AlertBook(PatientAnalyticsOptions options)
{
    private readonly List<AlertState> _active = [];

    public IReadOnlyList<AlertState> Active => _active;

    public void Restore(AlertState state) => _active.Add(state);

    /// <summary>Feeds one evaluation; returns the transition to publish, if any.</summary>
    /// <param name="kind">Kind.</param>
    /// <param name="subject">Device id for device alerts, empty otherwise.</param>
    /// <param name="severity">0 when the condition is clear, otherwise 1–3.</param>
    /// <param name="summary">Summary of the current finding (ignored when clear).</param>
    /// <param name="now">Patient data time of the evaluation.</param>
    public (AlertState State, AlertTransition Transition)? Evaluate(AlertKind kind, string subject, int severity, string summary, DateTimeOffset now)
    {
        var state = _active.Find(a => a.Kind == kind && a.Subject == subject);
        if (severity <= 0)
        {
            return state is null ? null : Clear(state, now);
        }

        if (state is null)
        {
            state = new AlertState(kind, subject) { Severity = severity, RaisedAt = now, LastNotifiedAt = now, Occurrences = 1, Summary = summary };
            _active.Add(state);
            return (state, AlertTransition.Raised);
        }

        state.ClearSince = null;
        state.Occurrences++;
        if (severity > state.Severity)
        {
            state.Severity = severity;
            return Escalate(state, summary, now);
        }

        if (now - state.LastNotifiedAt >= options.EscalateAfter && state.EscalationLevel < options.MaxEscalationLevel)
        {
            return Escalate(state, summary, now);
        }

        state.Summary = summary;
        return null;
    }

    private (AlertState, AlertTransition)? Clear(AlertState state, DateTimeOffset now)
    {
        state.ClearSince ??= now;
        if (now - state.ClearSince.Value < options.ResolveAfter)
        {
            return null;
        }

        _active.Remove(state);
        return (state, AlertTransition.Resolved);
    }

    private static (AlertState, AlertTransition) Escalate(AlertState state, string summary, DateTimeOffset now)
    {
        state.EscalationLevel++;
        state.LastNotifiedAt = now;
        state.Summary = summary;
        return (state, AlertTransition.Escalated);
    }
}
