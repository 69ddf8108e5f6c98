using System.Globalization;
using System.Text;

namespace PatientStream.Mqtt.Bench;

/// <summary>Renders bench rows as the Markdown table written to bench/results.</summary>
public static class MqttBenchReport
{
    public static string ToMarkdown(IReadOnlyList<MqttBenchRow> rows, string machine)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var text = new StringBuilder();
        text.AppendLine("# MQTT client bench");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {machine}. Same broker, same run; baseline = mosquitto_pub / mosquitto_sub.");
        text.AppendLine();
        text.AppendLine("| scenario | unit | ours | mosquitto clients | ours ÷ baseline | note |");
        text.AppendLine("|---|---|---:|---:|---:|---|");
        foreach (var row in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Scenario} | {row.Unit} | {row.Ours:0.##} | {(row.Baseline is { } b ? b.ToString("0.##", CultureInfo.InvariantCulture) : "–")} | {(row.Ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "–")} | {row.Note ?? ""} |");
        }
        return text.ToString();
    }
}
