using System.Data.Common;
using Weasel.Core;
using Weasel.Core.Migrations;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;
using DbCommandBuilder = Weasel.Core.DbCommandBuilder;

namespace ModelRegistry.Common;

/// <summary>
/// Indexes of ours on Marten's events table, as a part of Marten's schema, so start-up and the schema commands create,
/// check and script them. Marten 9.62 offers only its own indexes there (such as <c>EnableEventTypeIndex</c>), and it applies
/// <c>Storage.ExtendedSchemaObjects</c> before its event tables but a feature of ours after them. Its diff of the table must be
/// told to ignore these (<c>Events.IgnoreIndex</c>), or it would drop them.
/// </summary>
internal sealed class EventsTableIndexes(Migrator migrator, string schema, IEnumerable<IndexDefinition> indexes)
    : FeatureSchemaBase("registry_events_indexes", migrator)
{
    private readonly ISchemaObject[] _indexes =
        [.. indexes.Select(index => new IndexOnTable(new PostgresqlObjectName(schema, "mt_events", SchemaUtils.IdentifierUsage.General), index))];

    protected override IEnumerable<ISchemaObject> schemaObjects() => _indexes;
}

/// <summary>
/// One index on a table declared elsewhere, compared with the database as Weasel compares a table's indexes: missing, it is
/// created; different or invalid (a failed concurrent build), it is dropped and created again.
/// </summary>
internal sealed class IndexOnTable(PostgresqlObjectName table, IndexDefinition index) : ISchemaObjectWithDependencies
{
    // Renders and compares the definition in the table's place; without columns, each column is written as declared.
    private readonly Table _table = new(table);

    public DbObjectName Identifier { get; } = new PostgresqlObjectName(table.Schema, index.Name, SchemaUtils.IdentifierUsage.General);

    public IEnumerable<DbObjectName> DependsOn => [table];

    // IF NOT EXISTS: an instance starting beside another may find it made since the comparison.
    public void WriteCreateStatement(Migrator migrator, TextWriter writer)
    {
        var ddl = index.ToDDL(_table);
        var at = ddl.IndexOf("INDEX ", StringComparison.Ordinal) + "INDEX ".Length;
        writer.WriteLine(ddl.Insert(at, "IF NOT EXISTS "));
    }

    public void WriteDropStatement(Migrator rules, TextWriter writer) => writer.WriteLine($"DROP INDEX IF EXISTS {Identifier};");

    public void ConfigureQueryCommand(DbCommandBuilder builder)
    {
        builder.Append("SELECT pg_get_indexdef(i.indexrelid), i.indisvalid, i.indrelid = to_regclass(");
        builder.AppendParameter(table.QualifiedName);
        builder.Append(") FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace");
        builder.Append(" WHERE n.nspname = ");
        builder.AppendParameter(Identifier.Schema);
        builder.Append(" AND c.relname = ");
        builder.AppendParameter(Identifier.Name);
        builder.Append(';');
    }

    public async Task<ISchemaObjectDelta> CreateDeltaAsync(DbDataReader reader, CancellationToken ct = default)
    {
        if (!await reader.ReadAsync(ct))
        {
            return new SchemaObjectDelta(this, SchemaPatchDifference.Create);
        }

        var same = reader.GetBoolean(1) && !await reader.IsDBNullAsync(2, ct) && reader.GetBoolean(2)
            && index.Matches(IndexDefinition.Parse(reader.GetString(0)), _table);
        return new SchemaObjectDelta(this, same ? SchemaPatchDifference.None : SchemaPatchDifference.Update);
    }

    public IEnumerable<DbObjectName> AllNames() => [Identifier];
}
