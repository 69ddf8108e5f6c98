namespace PatientStream.EdgeAgent.Simulation;

/// <summary>Faults the simulator injects on demand, each with probability <see cref="SimulatorOptions.FaultRate"/> per batch.</summary>
[Flags]
public enum SimulatorFaults
{
    None = 0,
    /// <summary>A batch published twice with the same seq.</summary>
    Duplicates = 1,
    /// <summary>A batch held back and published after its successor.</summary>
    OutOfOrder = 2,
    /// <summary>The device clock jumps minutes away from true time, and stays there.</summary>
    ClockSkew = 4,
    /// <summary>Temperature in °F, weight in lb, blood pressure in kPa.</summary>
    WrongUnits = 8,
    /// <summary>An extra payload that is not a batch (random bytes or truncated JSON).</summary>
    Garbage = 16,
    /// <summary>The connection ends as on power loss (the broker publishes the will), then is re-established.</summary>
    Disconnects = 32,
    /// <summary>An extra publication of the device's batch on another device's topic.</summary>
    SpoofedTopic = 64,
    All = Duplicates | OutOfOrder | ClockSkew | WrongUnits | Garbage | Disconnects | SpoofedTopic,
}

public static class SimulatorFaultNames
{
    private static readonly Dictionary<string, SimulatorFaults> s_names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["none"] = SimulatorFaults.None,
        ["duplicates"] = SimulatorFaults.Duplicates,
        ["out-of-order"] = SimulatorFaults.OutOfOrder,
        ["clock-skew"] = SimulatorFaults.ClockSkew,
        ["wrong-units"] = SimulatorFaults.WrongUnits,
        ["garbage"] = SimulatorFaults.Garbage,
        ["disconnects"] = SimulatorFaults.Disconnects,
        ["spoofed-topic"] = SimulatorFaults.SpoofedTopic,
        ["all"] = SimulatorFaults.All,
    };

    public static IReadOnlyCollection<string> Names => s_names.Keys;

    /// <summary>Parses "duplicates,garbage" (or "all", "none"); unknown names are an error naming the valid ones.</summary>
    public static SimulatorFaults Parse(string? list)
    {
        var faults = SimulatorFaults.None;
        foreach (var name in (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            faults |= s_names.TryGetValue(name, out var fault)
                ? fault
                : throw new ArgumentException($"unknown fault '{name}'; use a comma-separated list of: {string.Join(", ", s_names.Keys)}", nameof(list));
        }
        return faults;
    }

    public static string Name(SimulatorFaults fault) => s_names.First(p => p.Value == fault).Key;
}
