using System.Globalization;
using Microsoft.Data.Sqlite;

namespace PatientStream.Consent.Ca;

/// <summary>An operational certificate the CA has issued.</summary>
public sealed record IssuedCertificateRecord(
    string Serial, string DeviceId, DateTimeOffset NotBefore, DateTimeOffset NotAfter, DateTimeOffset? RevokedAt, string? Reason);

/// <summary>A device whose certificates are all revoked and that may not enroll again until reinstated.</summary>
public sealed record RevokedDevice(string DeviceId, DateTimeOffset RevokedAt, string Reason);

/// <summary>The CA's registry of issued and revoked certificates, in SQLite so it survives restarts.</summary>
internal sealed class CaRegistry
{
    private readonly string _connectionString;

    public CaRegistry(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        using var connection = Open();
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS issued (
                serial TEXT PRIMARY KEY, device_id TEXT NOT NULL, not_before INTEGER NOT NULL, not_after INTEGER NOT NULL,
                revoked_at INTEGER NULL, reason TEXT NULL);
            CREATE INDEX IF NOT EXISTS issued_device ON issued (device_id);
            CREATE TABLE IF NOT EXISTS revoked_devices (device_id TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL, reason TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS tpm_enrollments (device_id TEXT PRIMARY KEY, ek_name TEXT NOT NULL);
            """);
    }

    public void AddIssued(IssuedCertificateRecord record)
    {
        using var connection = Open();
        Execute(connection, "INSERT INTO issued (serial, device_id, not_before, not_after) VALUES ($s, $d, $nb, $na)",
            ("$s", record.Serial), ("$d", record.DeviceId), ("$nb", record.NotBefore.ToUnixTimeMilliseconds()), ("$na", record.NotAfter.ToUnixTimeMilliseconds()));
    }

    public IssuedCertificateRecord? FindIssued(string serial)
    {
        using var connection = Open();
        return ReadIssued(connection, "WHERE serial = $s", ("$s", serial)).FirstOrDefault();
    }

    public IReadOnlyList<IssuedCertificateRecord> RevokedCertificates()
    {
        using var connection = Open();
        return ReadIssued(connection, "WHERE revoked_at IS NOT NULL ORDER BY revoked_at");
    }

    /// <summary>Revokes the device and every certificate it holds; returns the serials newly revoked.</summary>
    public IReadOnlyList<string> RevokeDevice(string deviceId, DateTimeOffset at, string reason)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        var serials = ReadIssued(connection, "WHERE device_id = $d AND revoked_at IS NULL", ("$d", deviceId)).Select(r => r.Serial).ToList();
        Execute(connection, "UPDATE issued SET revoked_at = $t, reason = $r WHERE device_id = $d AND revoked_at IS NULL",
            ("$t", at.ToUnixTimeMilliseconds()), ("$r", reason), ("$d", deviceId));
        Execute(connection, "INSERT OR IGNORE INTO revoked_devices (device_id, revoked_at, reason) VALUES ($d, $t, $r)",
            ("$d", deviceId), ("$t", at.ToUnixTimeMilliseconds()), ("$r", reason));
        transaction.Commit();
        return serials;
    }

    /// <summary>Lets a revoked device enroll again (after a repair); its old certificates stay revoked.</summary>
    public bool Reinstate(string deviceId)
    {
        using var connection = Open();
        return Execute(connection, "DELETE FROM revoked_devices WHERE device_id = $d", ("$d", deviceId)) > 0;
    }

    public RevokedDevice? FindRevokedDevice(string deviceId) => RevokedDevices("WHERE device_id = $d", ("$d", deviceId)).FirstOrDefault();

    public IReadOnlyList<RevokedDevice> RevokedDevices() => RevokedDevices("ORDER BY device_id");

    /// <summary>Records which endorsement key (by TPM name) a device's TPM has, as an individual enrollment.</summary>
    public void RegisterEndorsementKey(string deviceId, string endorsementKeyName)
    {
        using var connection = Open();
        Execute(connection, "INSERT INTO tpm_enrollments (device_id, ek_name) VALUES ($d, $n) ON CONFLICT (device_id) DO UPDATE SET ek_name = $n",
            ("$d", deviceId), ("$n", endorsementKeyName));
    }

    public string? FindEndorsementKey(string deviceId)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT ek_name FROM tpm_enrollments WHERE device_id = $d", [("$d", deviceId)]);
        return command.ExecuteScalar() as string;
    }

    public long NextCounter(string name)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO counters (name, value) VALUES ($n, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value";
        command.Parameters.AddWithValue("$n", name);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private List<RevokedDevice> RevokedDevices(string where, params (string Name, object Value)[] parameters)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT device_id, revoked_at, reason FROM revoked_devices " + where, parameters);
        using var reader = command.ExecuteReader();
        var result = new List<RevokedDevice>();
        while (reader.Read())
        {
            result.Add(new RevokedDevice(reader.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), reader.GetString(2)));
        }

        return result;
    }

    private static List<IssuedCertificateRecord> ReadIssued(SqliteConnection connection, string where, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, "SELECT serial, device_id, not_before, not_after, revoked_at, reason FROM issued " + where, parameters);
        using var reader = command.ExecuteReader();
        var result = new List<IssuedCertificateRecord>();
        while (reader.Read())
        {
            result.Add(new IssuedCertificateRecord(
                reader.GetString(0),
                reader.GetString(1),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                reader.IsDBNull(4) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
                reader.IsDBNull(5) ? null : reader.GetString(5)));
        }

        return result;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static int Execute(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
