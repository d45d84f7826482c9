using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace Scope.Silo.Storage;

/// <summary>
/// ASP.NET Core Data Protection's key ring in scope.data_protection_keys (migration 0007), so that every
/// silo on the database protects and unprotects the console's cookies, antiforgery tokens and circuit
/// ids with the same keys (docs/deployment.md). Data Protection calls it synchronously and seldom: at
/// start-up, when it makes a key, and when it refreshes its ring (about once a day).
/// </summary>
internal sealed class DataProtectionKeyRepository : IXmlRepository
{
    private readonly NpgsqlDataSource _dataSource;

    public DataProtectionKeyRepository(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
    }

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var conn = _dataSource.OpenConnection();
        using var cmd = new NpgsqlCommand("SELECT xml FROM scope.data_protection_keys ORDER BY id", conn);
        using var reader = cmd.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
            elements.Add(XElement.Parse(reader.GetString(0)));
        return elements;
    }

    /// <summary>Appends: a key or revocation is never rewritten, and two silos' elements never replace each other.</summary>
    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        using var conn = _dataSource.OpenConnection();
        using var cmd = new NpgsqlCommand("INSERT INTO scope.data_protection_keys (friendly_name, xml) VALUES (@name, @xml)", conn);
        cmd.Parameters.AddWithValue("name", friendlyName ?? "");
        cmd.Parameters.AddWithValue("xml", element.ToString(SaveOptions.DisableFormatting));
        cmd.ExecuteNonQuery();
    }
}
