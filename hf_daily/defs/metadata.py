import base64

import dagster as dg

from hf_daily.warehouse import TABLES


def table_metadata(name: str) -> dict:
    """Definition-time metadata for an asset stored as a warehouse table: its documented columns."""
    table = TABLES[name]
    return {
        "dagster/table_name": f"warehouse.main.{name}",
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(c.name, c.type.replace(" NOT NULL", ""), description=c.description)
                     for c in table.columns]
        ),
    }


def table_spec(name: str, group: str, deps: list, **kwargs) -> dg.AssetSpec:
    return dg.AssetSpec(
        name, description=TABLES[name].description, group_name=group, deps=deps, kinds={"duckdb"},
        metadata=table_metadata(name), **kwargs,
    )


def days_label(days) -> str:
    return days[0].isoformat() if len(days) == 1 else f"{days[0]} .. {days[-1]} ({len(days)} days)"


def inline_png(data: bytes, name: str) -> dg.MetadataValue:
    """A PNG shown right in the asset's page: the UI renders Markdown metadata, data URIs included."""
    return dg.MetadataValue.md(f"![{name}](data:image/png;base64,{base64.b64encode(data).decode()})")
