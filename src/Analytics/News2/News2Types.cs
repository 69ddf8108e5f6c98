namespace PatientStream.Analytics.News2;

/// <summary>The seven NEWS2 parameters (RCP 2017, chart 1).</summary>
public enum News2Parameter
{
    RespirationRate,
    OxygenSaturation,
    SupplementalOxygen,
    SystolicBloodPressure,
    Pulse,
    Consciousness,
    Temperature,
}

/// <summary>ACVPU. Any value other than <see cref="Alert"/> scores 3.</summary>
public enum Consciousness
{
    Alert = 0,
    /// <summary>New confusion (the "C" NEWS2 added to AVPU).</summary>
    NewConfusion = 1,
    Voice = 2,
    Pain = 3,
    Unresponsive = 4,
}

/// <summary>Which SpO2 scale applies. Scale 2 only for recorded hypercapnic respiratory failure (target 88–92%).</summary>
public enum SpO2Scale
{
    Scale1 = 1,
    Scale2 = 2,
}

/// <summary>NEWS2 clinical risk (RCP 2017, chart 2).</summary>
public enum ClinicalRisk
{
    /// <summary>Aggregate 0–4 and no single parameter scoring 3.</summary>
    Low = 0,
    /// <summary>Aggregate 0–4 with a single parameter scoring 3 (urgent ward-based response).</summary>
    LowMedium = 1,
    /// <summary>Aggregate 5–6.</summary>
    Medium = 2,
    /// <summary>Aggregate 7 or more.</summary>
    High = 3,
}

/// <summary>
/// One candidate value for a parameter. Values use the chart's units: /min, %, mmHg, °C; supplemental oxygen is
/// 1 (oxygen) or 0 (air); consciousness is the <see cref="Consciousness"/> ordinal.
/// </summary>
/// <param name="Parameter">Parameter.</param>
/// <param name="Value">Value in the chart's unit.</param>
/// <param name="Time">Effective time.</param>
/// <param name="ObservationReference">FHIR reference of the source Observation, if any.</param>
public sealed record News2Reading(News2Parameter Parameter, double Value, DateTimeOffset Time, string? ObservationReference = null);

/// <summary>The score one parameter contributed, and the reading it came from.</summary>
/// <param name="Parameter">Parameter.</param>
/// <param name="Score">0–3.</param>
/// <param name="Reading">Reading used (the latest valid one in its window).</param>
public sealed record News2ParameterScore(News2Parameter Parameter, int Score, News2Reading Reading);

/// <summary>
/// A NEWS2 evaluation. When parameters are missing the aggregate covers only those present and the result is
/// not <see cref="IsComplete"/>: the true score can only be equal or higher.
/// </summary>
/// <param name="At">Evaluation time.</param>
/// <param name="Scale">SpO2 scale used.</param>
/// <param name="AggregateScore">Sum of the parameter scores present.</param>
/// <param name="Risk">Clinical risk band.</param>
/// <param name="HasSingleParameterScoreOf3">Some parameter scored 3 (the "red score").</param>
/// <param name="Scores">Score per present parameter, in chart order.</param>
/// <param name="Missing">Parameters with no valid reading in their window, in chart order.</param>
/// <param name="AssumedAir">Supplemental oxygen was missing and air was assumed.</param>
public sealed record News2Result(
    DateTimeOffset At,
    SpO2Scale Scale,
    int AggregateScore,
    ClinicalRisk Risk,
    bool HasSingleParameterScoreOf3,
    IReadOnlyList<News2ParameterScore> Scores,
    IReadOnlyList<News2Parameter> Missing,
    bool AssumedAir)
{
    /// <summary>True when all seven parameters had a valid reading.</summary>
    public bool IsComplete => Missing.Count == 0;
}
