namespace PatientStream.EdgeAgent.Buffer;

/// <summary>The local quarantine: malformed payloads kept with why they were refused, for the site's engineers.</summary>
public sealed partial class DurableBuffer
{
    /// <summary>Keeps a malformed payload with its reason; the oldest go once <see cref="BufferOptions.MaxQuarantined"/> is passed.</summary>
    public void Quarantine(string topic, string reason, ReadOnlySpan<byte> payload, DateTimeOffset at)
    {
        lock (_dbLock)
        {
            using var insert = _db.CreateCommand();
            insert.CommandText = """
                INSERT INTO quarantine(topic, reason, payload, at) VALUES ($t, $r, $p, $a);
                DELETE FROM quarantine WHERE id <= (SELECT MAX(id) FROM quarantine) - $max;
                """;
            insert.Parameters.AddWithValue("$t", topic);
            insert.Parameters.AddWithValue("$r", reason);
            insert.Parameters.AddWithValue("$p", payload.ToArray());
            insert.Parameters.AddWithValue("$a", at.ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("$max", _options.MaxQuarantined);
            insert.ExecuteNonQuery();
        }
    }

    /// <summary>Quarantined payloads, oldest first.</summary>
    public IReadOnlyList<QuarantinedPayload> ReadQuarantine(int max = 1000)
    {
        var result = new List<QuarantinedPayload>();
        lock (_dbLock)
        {
            using var select = _db.CreateCommand();
            select.CommandText = "SELECT id, topic, reason, payload, at FROM quarantine ORDER BY id LIMIT $n";
            select.Parameters.AddWithValue("$n", max);
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                result.Add(new QuarantinedPayload(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), (byte[])reader.GetValue(3),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4))));
            }
        }
        return result;
    }
}
