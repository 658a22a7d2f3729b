"""Deterministic generator of a demo Huangpu district (Shanghai) for pvhub.

Pure data generation: plain frozen dataclasses, no database. ``build_demo_district(seed)`` returns a
:class:`DemoDistrict` with the district outline, its 10 subdistricts (街道), 30 owner organisations,
8 PV suppliers, ~300 sites (buildings) and ~1,000 PV-mountable surfaces (roofs, curtain walls,
corridors/skybridges, walkway canopies).

Everything here is *invented for the demo*: the outline and subdistrict polygons are approximations
drawn by hand / by a Voronoi split, building names, owners and suppliers are fictional, addresses use
real street names of the area with made-up numbers.

Units and conventions (as in the product design):

* coordinates are WGS84 ``(lon, lat)`` in degrees; geometry fields are GeoJSON-like dicts
  (``{"type": "Polygon", "coordinates": [[[lon, lat], ...]]}``, rings closed, exterior
  counter-clockwise);
* metric work is done in :data:`METRIC_CRS`, a transverse Mercator centred at 121.48 E, 31.23 N;
* lengths and heights in metres, areas in m², angles in degrees;
* tilt: 0 = horizontal, 90 = vertical; azimuth: pvlib convention (0 = north, 90 = east,
  180 = south); a flat surface has azimuth 180;
* ``shading_loss`` is a fraction in [0, 0.35].

The same seed always gives an identical district (``numpy.random.default_rng(seed)``, no
dependence on set or dict-hash order).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import LineString, MultiPoint, Point, Polygon, box
from shapely.geometry.polygon import orient

from pvhub.register.enums import SITE_USES

__all__ = [
    "BUSINESS_MODELS",
    "HUANGPU_OUTLINE",
    "METRIC_CRS",
    "SITE_USES",
    "SURFACE_KINDS",
    "DemoDistrict",
    "DemoOrganisation",
    "DemoSite",
    "DemoSubdistrict",
    "DemoSurface",
    "build_demo_district",
]

#: Projected CRS used for all metric work (transverse Mercator centred on the district, metres).
METRIC_CRS = "+proj=tmerc +lat_0=31.23 +lon_0=121.48 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"

SURFACE_KINDS: tuple[str, ...] = ("roof", "curtain_wall", "corridor", "walkway")
BUSINESS_MODELS: tuple[str, ...] = ("epc", "emc", "lease")

#: Approximate outline of Huangpu District west of the Huangpu River (Puxi), WGS84 ``(lon, lat)``,
#: counter-clockwise, open ring (first vertex not repeated). Bounded by Suzhou Creek (苏州河) to the
#: north, the Huangpu River to the east and south-east, and roughly Chengdu/Shaanxi South/
#: Zhaojiabang/Rijin South roads to the west and south-west. About 19.4 km².
#: This is an approximation drawn for the demo, NOT survey data; do not use it for administration.
HUANGPU_OUTLINE: tuple[tuple[float, float], ...] = (
    (121.4700, 31.1935),
    (121.4780, 31.1925),
    (121.4860, 31.1950),
    (121.4930, 31.1995),
    (121.4985, 31.2050),
    (121.5030, 31.2110),
    (121.5045, 31.2170),
    (121.5030, 31.2230),
    (121.4990, 31.2290),
    (121.4950, 31.2340),
    (121.4920, 31.2390),
    (121.4915, 31.2430),
    (121.4870, 31.2440),
    (121.4800, 31.2435),
    (121.4740, 31.2445),
    (121.4680, 31.2440),
    (121.4630, 31.2420),
    (121.4625, 31.2360),
    (121.4640, 31.2300),
    (121.4600, 31.2265),
    (121.4570, 31.2220),
    (121.4575, 31.2160),
    (121.4560, 31.2100),
    (121.4600, 31.2060),
    (121.4620, 31.2020),
    (121.4650, 31.1980),
    (121.4680, 31.1950),
)


# --------------------------------------------------------------------------------------------
# Public dataclasses
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSubdistrict:
    """A subdistrict (街道). ``polygon`` is a GeoJSON Polygon in WGS84 (approximate: a Voronoi
    split of :data:`HUANGPU_OUTLINE` around ``centre``); ``area_km2`` in km²."""

    code: str
    name_zh: str
    name_en: str
    centre: tuple[float, float]
    polygon: dict[str, Any]
    area_km2: float


@dataclass(frozen=True)
class DemoOrganisation:
    """An owner (``role == "owner"``) or supplier (``role == "supplier"``) organisation.

    ``kind`` for owners: property, housing, mall, hospital, school, government, hotel, transport,
    industrial; for suppliers: ``"pv_epc"``. ``annual_capacity_kw`` (kWp installed per year) and
    ``certifications`` are set for suppliers only (``None`` / empty for owners)."""

    key: str
    role: str
    kind: str
    name_zh: str
    name_en: str
    annual_capacity_kw: int | None = None
    certifications: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoSite:
    """One building / place.

    ``footprint`` is a GeoJSON Polygon (WGS84, 4–8 distinct vertices, CCW); ``location`` its
    centroid ``(lon, lat)``; ``footprint_area_m2`` in m²; ``height_m`` in metres (top of roof);
    ``storey_height_m`` the typical floor-to-floor height in metres; ``use`` one of
    :data:`SITE_USES`; ``business_model`` one of :data:`BUSINESS_MODELS` (owner's preference:
    ``epc`` owner-financed, ``emc`` energy-management contract, ``lease`` roof lease);
    ``heritage`` marks a (possibly) protected building (Bund and Yuyuan areas only);
    ``complex_zh``/``complex_en`` name the group of buildings it belongs to."""

    key: str
    name_zh: str
    name_en: str
    address_zh: str
    owner_key: str
    subdistrict_code: str
    use: str
    height_m: float
    storeys: int
    storey_height_m: float
    footprint: dict[str, Any]
    footprint_area_m2: float
    location: tuple[float, float]
    business_model: str
    heritage: bool
    complex_zh: str
    complex_en: str


@dataclass(frozen=True)
class DemoSurface:
    """One PV-mountable surface of a site.

    ``kind`` is one of :data:`SURFACE_KINDS`. ``geometry`` (WGS84, GeoJSON-like dict):

    * roof, corridor, walkway: a Polygon, the horizontal projection of the surface;
    * curtain_wall: a LineString of two points, the wall's base line along a footprint edge; the
      wall faces to the right of the line's direction (outwards) and spans heights
      ``height_from_m`` .. ``height_to_m`` above ground (both ``None`` for other kinds).

    ``tilt_deg`` 0–90, ``azimuth_deg`` pvlib (0 = N, 90 = E, 180 = S; 180 when flat).
    ``gross_area_m2`` is the true area of the (tilted/vertical) plane in m² (a wall: base length ×
    height span; a pitched roof: plan area / cos(tilt); a flat roof with tilted modules: its plan
    area); ``usable_area_m2`` <= gross, after setbacks, obstacles and windows. ``shading_loss`` is
    a fraction 0–0.35. ``height_m`` is the height the surface sits at in metres (roof: roof level;
    wall: mid-height of the PV band; corridor: its roof level; walkway: canopy height), ``storey``
    the storey it belongs to (1 = ground floor). ``linked_site_key`` is the other building a
    corridor connects (``None`` otherwise)."""

    key: str
    site_key: str
    kind: str
    geometry: dict[str, Any]
    tilt_deg: float
    azimuth_deg: float
    gross_area_m2: float
    usable_area_m2: float
    shading_loss: float
    height_m: float
    storey: int
    height_from_m: float | None = None
    height_to_m: float | None = None
    linked_site_key: str | None = None


@dataclass(frozen=True)
class DemoDistrict:
    """The whole demo district. ``outline`` is a GeoJSON Polygon of :data:`HUANGPU_OUTLINE`.
    ``demo_point_candidates`` holds clusters (tuples of site keys, adjacent sites within 100 m)
    deliberately generated to span roof + curtain wall + corridor + walkway at different heights.

    Note: the dataclasses are frozen but hold dicts (GeoJSON), so they compare by value but are
    not hashable."""

    seed: int
    name_zh: str
    name_en: str
    outline: dict[str, Any]
    subdistricts: tuple[DemoSubdistrict, ...]
    owners: tuple[DemoOrganisation, ...]
    suppliers: tuple[DemoOrganisation, ...]
    sites: tuple[DemoSite, ...]
    surfaces: tuple[DemoSurface, ...]
    demo_point_candidates: tuple[tuple[str, ...], ...]

    @property
    def organisations(self) -> tuple[DemoOrganisation, ...]:
        """Owners then suppliers."""
        return self.owners + self.suppliers


# --------------------------------------------------------------------------------------------
# Static reference data (invented for the demo unless noted)
# --------------------------------------------------------------------------------------------

# code (statistical division code style, 9 digits; believed to match 区划代码 but unverified),
# name_zh, name_en, approximate centre (lon, lat), street-grid angle (deg CCW from east),
# use weights, street names for addresses.
_SUBDISTRICTS: tuple[
    tuple[str, str, str, tuple[float, float], float, dict[str, float], tuple[str, ...]], ...
] = (
    (
        "310101013",
        "外滩",
        "Waitan",
        (121.4860, 31.2380),
        5.0,
        {"office": 5, "hotel": 2, "government": 1.5, "retail": 1, "residential": 1},
        (
            "中山东一路",
            "北京东路",
            "九江路",
            "汉口路",
            "滇池路",
            "四川中路",
            "江西中路",
            "圆明园路",
            "虎丘路",
        ),
    ),
    (
        "310101002",
        "南京东路",
        "Nanjing East Road",
        (121.4730, 31.2380),
        0.0,
        {"retail": 4, "office": 3, "hotel": 2, "residential": 1.5, "government": 0.5, "parking": 0.5},
        ("南京东路", "福州路", "广东路", "浙江中路", "湖北路", "云南中路", "西藏中路", "黄河路", "天津路"),
    ),
    (
        "310101018",
        "豫园",
        "Yuyuan",
        (121.4890, 31.2280),
        10.0,
        {"retail": 3, "residential": 3, "office": 1, "school": 1, "hotel": 0.5, "government": 0.5},
        ("方浜中路", "福佑路", "人民路", "河南南路", "旧校场路", "安仁街", "丽水路"),
    ),
    (
        "310101017",
        "小东门",
        "Xiaodongmen",
        (121.4980, 31.2190),
        40.0,
        {"residential": 4, "office": 2, "transport": 1, "school": 1, "parking": 0.5, "retail": 1},
        ("东门路", "中山南路", "外马路", "会馆街", "董家渡路", "王家码头路"),
    ),
    (
        "310101019",
        "老西门",
        "Laoximen",
        (121.4800, 31.2210),
        15.0,
        {"residential": 5, "school": 1.5, "retail": 1, "office": 1, "government": 0.5, "hospital": 0.5},
        ("复兴东路", "中华路", "文庙路", "西藏南路", "大林路", "蓬莱路", "尚文路"),
    ),
    (
        "310101022",
        "淮海中路",
        "Middle Huaihai Road",
        (121.4680, 31.2260),
        0.0,
        {"office": 4, "retail": 3, "residential": 2, "hotel": 1, "government": 0.5},
        ("淮海中路", "黄陂南路", "马当路", "兴业路", "太仓路", "自忠路", "重庆南路", "金陵西路"),
    ),
    (
        "310101023",
        "瑞金二路",
        "Ruijin No.2 Road",
        (121.4620, 31.2150),
        0.0,
        {"residential": 4, "hospital": 1.5, "school": 1.5, "office": 1.5, "government": 0.5},
        ("瑞金二路", "建国中路", "永嘉路", "绍兴路", "陕西南路", "复兴中路", "南昌路"),
    ),
    (
        "310101021",
        "打浦桥",
        "Dapuqiao",
        (121.4680, 31.2060),
        20.0,
        {"residential": 3, "office": 2.5, "retail": 2, "school": 1, "hospital": 0.5},
        ("打浦路", "徐家汇路", "丽园路", "建国中路", "蒙自路", "肇嘉浜路", "泰康路", "瑞金南路"),
    ),
    (
        "310101020",
        "五里桥",
        "Wuliqiao",
        (121.4780, 31.1990),
        25.0,
        {"residential": 4, "industrial": 1.5, "school": 1, "office": 1, "parking": 0.5, "government": 0.5},
        ("局门路", "龙华东路", "中山南一路", "制造局路", "瞿溪路", "鲁班路"),
    ),
    (
        "310101015",
        "半淞园路",
        "Bansongyuan Road",
        (121.4900, 31.2070),
        35.0,
        {"residential": 3, "industrial": 1.5, "transport": 1, "parking": 1, "office": 1, "school": 0.5},
        ("半淞园路", "西藏南路", "花园港路", "高雄路", "望达路", "中山南路", "鲁班路"),
    ),
)

# owner organisations: kind, name_zh, name_en (fictional)
_OWNERS: tuple[tuple[str, str, str], ...] = (
    ("property", "上海申浦置业有限公司", "Shanghai Shenpu Real Estate Co., Ltd."),
    ("property", "上海外滩源物业管理有限公司", "Shanghai Bund Origin Property Management Co., Ltd."),
    ("property", "上海金陵实业发展有限公司", "Shanghai Jinling Industrial Development Co., Ltd."),
    ("property", "上海淮海置地有限公司", "Shanghai Huaihai Land Co., Ltd."),
    ("property", "上海浦江商务楼宇管理有限公司", "Shanghai Pujiang Office Building Management Co., Ltd."),
    ("property", "上海新江南房地产开发有限公司", "Shanghai New Jiangnan Property Development Co., Ltd."),
    ("property", "上海丽园投资管理有限公司", "Shanghai Liyuan Investment Management Co., Ltd."),
    ("property", "上海南浦滨江置业有限公司", "Shanghai Nanpu Riverside Real Estate Co., Ltd."),
    ("property", "上海华亭商业地产有限公司", "Shanghai Huating Commercial Property Co., Ltd."),
    ("property", "上海申江物业服务有限公司", "Shanghai Shenjiang Property Services Co., Ltd."),
    ("housing", "黄浦区老西门住宅物业管理处", "Huangpu Laoximen Residential Property Office"),
    ("housing", "黄浦区五里桥房屋管理所", "Huangpu Wuliqiao Housing Management Office"),
    ("housing", "上海瑞金物业管理有限公司", "Shanghai Ruijin Property Management Co., Ltd."),
    ("housing", "上海半淞园物业服务有限公司", "Shanghai Bansongyuan Property Services Co., Ltd."),
    ("mall", "上海东方商厦运营管理有限公司", "Shanghai Oriental Plaza Operation Co., Ltd."),
    ("mall", "上海豫商百货运营有限公司", "Shanghai Yushang Department Store Operation Co., Ltd."),
    ("hospital", "上海市黄浦区浦滨医院", "Huangpu Pubin Hospital, Shanghai"),
    ("hospital", "上海市黄浦区瑞康中西医结合医院", "Huangpu Ruikang Integrated Medicine Hospital, Shanghai"),
    ("school", "上海市黄浦区敬业路小学", "Huangpu Jingye Road Primary School"),
    ("school", "上海市黄浦区南塘中学", "Huangpu Nantang Middle School"),
    ("school", "上海市黄浦区蓬莱实验学校", "Huangpu Penglai Experimental School"),
    ("school", "上海市黄浦区职业技术学院", "Huangpu Vocational and Technical College"),
    ("government", "黄浦区机关事务管理局", "Huangpu District Government Offices Administration"),
    ("government", "黄浦区教育局", "Huangpu District Education Bureau"),
    ("government", "黄浦区卫生健康委员会", "Huangpu District Health Commission"),
    ("government", "黄浦区城市管理和行政执法局", "Huangpu District Urban Management Bureau"),
    ("hotel", "上海浦江饭店管理有限公司", "Shanghai Pujiang Hotel Management Co., Ltd."),
    ("hotel", "上海锦华酒店集团有限公司", "Shanghai Jinhua Hotel Group Co., Ltd."),
    ("transport", "上海黄浦公共交通枢纽管理有限公司", "Shanghai Huangpu Transport Hub Management Co., Ltd."),
    ("industrial", "上海江南创意园区发展有限公司", "Shanghai Jiangnan Creative Park Development Co., Ltd."),
)

_OWNER_USES: dict[str, tuple[str, ...]] = {
    "property": ("office", "residential", "retail", "hotel", "parking"),
    "housing": ("residential",),
    "mall": ("retail",),
    "hospital": ("hospital",),
    "school": ("school",),
    "government": ("government",),
    "hotel": ("hotel",),
    "transport": ("transport", "parking"),
    "industrial": ("industrial",),
}

_SUPPLIERS: tuple[tuple[str, str], ...] = (
    ("上海申能光伏工程有限公司", "Shanghai Shenneng PV Engineering Co., Ltd."),
    ("上海阳光立方新能源科技有限公司", "Shanghai Solar Cube New Energy Technology Co., Ltd."),
    ("江苏晶源光电工程有限公司", "Jiangsu Jingyuan Photovoltaic Engineering Co., Ltd."),
    ("浙江绿屋能源建设有限公司", "Zhejiang Green Roof Energy Construction Co., Ltd."),
    ("上海浦能幕墙光伏有限公司", "Shanghai Puneng BIPV Curtain Wall Co., Ltd."),
    ("上海华电分布式能源工程有限公司", "Shanghai Huadian Distributed Energy Engineering Co., Ltd."),
    ("安徽光谷新能源工程有限公司", "Anhui Guanggu New Energy Engineering Co., Ltd."),
    ("上海城投绿能科技有限公司", "Shanghai Chengtou Green Energy Technology Co., Ltd."),
)

_CERTIFICATIONS: tuple[str, ...] = (
    "ISO 9001",
    "ISO 14001",
    "ISO 45001",
    "电力工程施工总承包三级",
    "承装(修、试)电力设施许可证四级",
    "建筑机电安装工程专业承包二级",
    "建筑幕墙工程专业承包一级",
    "CQC 光伏电站认证",
)

# (storeys min, storeys max, storey height m, area min m², area max m²)
_USE_SHAPE: dict[str, tuple[int, int, float, float, float]] = {
    "office": (8, 40, 4.0, 900.0, 3500.0),
    "residential": (6, 30, 3.0, 500.0, 2200.0),
    "retail": (3, 9, 5.0, 1200.0, 5500.0),
    "school": (3, 6, 3.8, 900.0, 3500.0),
    "hospital": (5, 20, 4.2, 1200.0, 4500.0),
    "government": (4, 14, 3.8, 700.0, 2800.0),
    "hotel": (8, 36, 3.5, 900.0, 3200.0),
    "industrial": (2, 5, 5.0, 1500.0, 5500.0),
    "parking": (3, 8, 3.2, 1500.0, 4500.0),
    "transport": (1, 3, 6.0, 800.0, 4000.0),
}

_USE_NAMES: dict[str, tuple[str, str]] = {
    "office": ("大厦", "Tower"),
    "residential": ("公寓", "Residences"),
    "retail": ("商厦", "Mall"),
    "school": ("校区", "School Campus"),
    "hospital": ("医疗中心", "Medical Centre"),
    "government": ("行政中心", "Administrative Centre"),
    "hotel": ("酒店", "Hotel"),
    "industrial": ("创意园", "Creative Park"),
    "parking": ("停车楼", "Car Park"),
    "transport": ("交通枢纽", "Transport Hub"),
}

_NAME_PREFIXES: tuple[tuple[str, str], ...] = (
    ("金陵", "Jinling"),
    ("申江", "Shenjiang"),
    ("浦江", "Pujiang"),
    ("华亭", "Huating"),
    ("东方", "Dongfang"),
    ("复兴", "Fuxing"),
    ("瑞安", "Rui'an"),
    ("永业", "Yongye"),
    ("南浦", "Nanpu"),
    ("世博", "Shibo"),
    ("丽园", "Liyuan"),
    ("蓬莱", "Penglai"),
    ("恒隆", "Henglong"),
    ("汇通", "Huitong"),
    ("嘉禾", "Jiahe"),
    ("锦绣", "Jinxiu"),
    ("新昌", "Xinchang"),
    ("长宁", "Changning"),
    ("海韵", "Haiyun"),
    ("云锦", "Yunjin"),
    ("明珠", "Mingzhu"),
    ("宝庆", "Baoqing"),
    ("天成", "Tiancheng"),
    ("兴业", "Xingye"),
    ("瑞金", "Ruijin"),
    ("中华", "Zhonghua"),
    ("泰康", "Taikang"),
    ("紫金", "Zijin"),
    ("国泰", "Guotai"),
    ("振华", "Zhenhua"),
    ("江南", "Jiangnan"),
    ("梧桐", "Wutong"),
)

# uses of the first generated blocks of each subdistrict (same order as _SUBDISTRICTS), so that
# every owner organisation finds buildings of its kind whatever the seed
_FIRST_USES: tuple[tuple[str, ...], ...] = (
    ("government", "hotel"),
    ("hotel", "retail"),
    ("retail", "school"),
    ("transport", "school"),
    ("school", "hospital", "government"),
    ("hotel", "government"),
    ("hospital", "school", "government"),
    ("school", "hospital"),
    ("industrial", "government"),
    ("transport", "industrial"),
)

_BLOCK_LETTERS = ("A", "B", "C", "D")
_TARGET_SITES = 300
_TARGET_ROOFS = 600
_TARGET_WALLS = 200
_TARGET_CORRIDORS = 80
_TARGET_WALKWAYS = 120
_GAP_BETWEEN_BLOCKS_M = 5.0
_SUBDISTRICT_MARGIN_M = 3.0


# --------------------------------------------------------------------------------------------
# Geometry helpers
# --------------------------------------------------------------------------------------------

_TO_METRIC = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
_TO_WGS84 = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)


def _metric_polygon(coords: tuple[tuple[float, float], ...] | list[tuple[float, float]]) -> Polygon:
    lon = np.array([c[0] for c in coords])
    lat = np.array([c[1] for c in coords])
    x, y = _TO_METRIC.transform(lon, lat)
    return Polygon(list(zip(x.tolist(), y.tolist(), strict=True)))


def _to_lonlat(coords: list[tuple[float, float]]) -> list[list[float]]:
    xs = np.array([c[0] for c in coords])
    ys = np.array([c[1] for c in coords])
    lon, lat = _TO_WGS84.transform(xs, ys)
    return [[round(float(a), 7), round(float(b), 7)] for a, b in zip(lon, lat, strict=True)]


def _polygon_geojson(poly: Polygon) -> dict[str, Any]:
    ext = list(orient(poly, 1.0).exterior.coords)
    return {"type": "Polygon", "coordinates": [_to_lonlat([(float(x), float(y)) for x, y in ext])]}


def _azimuth(dx: float, dy: float) -> float:
    """pvlib azimuth (0 = N, 90 = E) of a metric direction vector."""
    return math.degrees(math.atan2(dx, dy)) % 360.0


def _r(value: float, nd: int = 1) -> float:
    return round(float(value), nd)


@dataclass
class _Building:
    """Internal mutable record of a generated building (metric geometry)."""

    idx: int
    block: int
    sub: int
    use: str
    poly: Polygon  # metric, CCW
    frame_rects: list[tuple[float, float, float, float]]  # block-frame rects (x0, y0, x1, y1)
    x_range: tuple[float, float]
    y_range: tuple[float, float]  # main rectangle only
    angle: float  # radians, block u-axis CCW from east
    origin: tuple[float, float]
    storeys: int
    storey_h: float
    height: float


def _frame_to_world(geom: Any, angle: float, origin: tuple[float, float]) -> Any:
    g = affinity.rotate(geom, angle, origin=(0.0, 0.0), use_radians=True)
    return affinity.translate(g, origin[0], origin[1])


# --------------------------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------------------------


def _build_subdistricts(outline_m: Polygon) -> list[Polygon]:
    centres_m = []
    for row in _SUBDISTRICTS:
        x, y = _TO_METRIC.transform(row[3][0], row[3][1])
        centres_m.append(Point(float(x), float(y)))
    cells = shapely.voronoi_polygons(MultiPoint(centres_m), extend_to=outline_m.envelope.buffer(2000.0))
    result: list[Polygon] = []
    for c in centres_m:
        cell = next(g for g in cells.geoms if g.contains(c))
        part = cell.intersection(outline_m)
        if not isinstance(part, Polygon):  # keep the piece holding the centre
            part = next(g for g in part.geoms if isinstance(g, Polygon) and g.contains(c))
        result.append(shapely.set_precision(part, 0.0))
    return result


def _allocate(total: int, weights: list[float]) -> list[int]:
    w = np.asarray(weights, dtype=float)
    raw = w / w.sum() * total
    base = np.floor(raw).astype(int)
    rest = total - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    for i in order[:rest]:
        base[i] += 1
    return [int(v) for v in base]


def _choose_use(rng: np.random.Generator, weights: dict[str, float]) -> str:
    uses = list(weights)
    p = np.array([weights[u] for u in uses], dtype=float)
    return uses[int(rng.choice(len(uses), p=p / p.sum()))]


def _storeys_for(rng: np.random.Generator, use: str) -> int:
    lo, hi, _, _, _ = _USE_SHAPE[use]
    # skew towards the lower half (many mid-rise buildings, fewer towers)
    u = float(rng.random()) ** 1.4
    return int(lo + round(u * (hi - lo)))


def _block_rects(
    rng: np.random.Generator, uses_storeys: list[tuple[str, int]], demo: bool
) -> list[
    tuple[
        list[tuple[float, float]],
        tuple[float, float],
        tuple[float, float],
        list[tuple[float, float, float, float]],
    ]
]:
    """Footprints of one block in its local frame: a row of buildings along +x with gaps.

    Returns per building (ring coords CCW, x range, main-rect y range, rects)."""
    out = []
    x = 0.0
    for i, (use, _storeys) in enumerate(uses_storeys):
        _, _, _, a_lo, a_hi = _USE_SHAPE[use]
        area = float(math.exp(rng.uniform(math.log(a_lo), math.log(a_hi))))
        if demo:  # compact, so that the whole cluster stays within 100 m
            area = float(rng.uniform(1600.0, 2400.0))
        aspect = float(rng.uniform(1.0, 1.4 if demo else 2.6))
        l_shape = (not demo) and rng.random() < 0.2
        f1 = float(rng.uniform(0.3, 0.55)) if l_shape else 0.0
        f2 = float(rng.uniform(0.4, 0.9)) if l_shape else 0.0
        main_area = area / (1.0 + f1 * f2)
        length = min(math.sqrt(main_area * aspect), 110.0)
        width = main_area / length
        if width < 14.0:
            width = 14.0
            length = main_area / width
        y0 = -width / 2.0 + float(rng.uniform(-0.1, 0.1)) * min(width, 20.0)
        x0, x1, y1 = x, x + length, y0 + width
        rects = [(x0, y0, x1, y1)]
        if l_shape:
            a = f1 * length
            w2 = f2 * width
            if rng.random() < 0.5:
                ring = [(x0, y0), (x1, y0), (x1, y1), (x0 + a, y1), (x0 + a, y1 + w2), (x0, y1 + w2)]
                rects.append((x0, y1, x0 + a, y1 + w2))
            else:
                ring = [(x0, y0), (x1, y0), (x1, y1 + w2), (x1 - a, y1 + w2), (x1 - a, y1), (x0, y1)]
                rects.append((x1 - a, y1, x1, y1 + w2))
        else:
            ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        out.append((ring, (x0, x1), (y0, y1), rects))
        if i < len(uses_storeys) - 1:
            x = x1 + (float(rng.uniform(12.0, 20.0)) if demo else float(rng.uniform(8.0, 34.0)))
    # centre the row on the origin
    shift = (out[0][1][0] + out[-1][1][1]) / 2.0
    centred = []
    for ring, (xa, xb), yr, rects in out:
        centred.append(
            (
                [(px - shift, py) for px, py in ring],
                (xa - shift, xb - shift),
                yr,
                [(r0 - shift, r1, r2 - shift, r3) for r0, r1, r2, r3 in rects],
            )
        )
    return centred


def build_demo_district(seed: int = 2026) -> DemoDistrict:
    """Build the demo Huangpu district deterministically from ``seed`` (see module docstring)."""
    rng = np.random.default_rng(seed)
    outline_m = _metric_polygon(HUANGPU_OUTLINE)
    sub_polys = _build_subdistricts(outline_m)
    sub_inner = [p.buffer(-_SUBDISTRICT_MARGIN_M) for p in sub_polys]
    for p in sub_inner:
        shapely.prepare(p)

    # ---- place blocks of buildings --------------------------------------------------------
    quotas = _allocate(_TARGET_SITES, [p.area for p in sub_polys])
    buildings: list[_Building] = []
    hulls: list[Polygon] = []  # block hulls buffered by the block gap (collision shapes)
    demo_blocks: list[int] = []
    block_count = 0

    def try_place(sub: int, uses_storeys: list[tuple[str, int]], demo: bool, near: Point | None) -> bool:
        nonlocal block_count
        poly = sub_polys[sub]
        minx, miny, maxx, maxy = poly.bounds
        grid = math.radians(_SUBDISTRICTS[sub][4])
        for attempt in range(400):
            layout = _block_rects(rng, uses_storeys, demo)
            angle = grid + math.radians(float(rng.uniform(-8.0, 8.0)))
            if rng.random() < 0.3:
                angle += math.pi / 2.0
            if near is not None:
                radius = 30.0 + 6.0 * attempt
                ox = near.x + float(rng.uniform(-radius, radius))
                oy = near.y + float(rng.uniform(-radius, radius))
            else:
                ox = float(rng.uniform(minx, maxx))
                oy = float(rng.uniform(miny, maxy))
            polys = [_frame_to_world(Polygon(ring), angle, (ox, oy)) for ring, _, _, _ in layout]
            hull = shapely.convex_hull(shapely.union_all(polys))
            if not sub_inner[sub].contains(hull):
                continue
            guard = hull.buffer(_GAP_BETWEEN_BLOCKS_M)
            if hulls and bool(np.any(shapely.intersects(np.asarray(hulls, dtype=object), guard))):
                continue
            hulls.append(hull)
            for (_ring, xr, yr, rects), pm, (use, storeys) in zip(layout, polys, uses_storeys, strict=True):
                sh = _USE_SHAPE[use][2]
                buildings.append(
                    _Building(
                        idx=len(buildings),
                        block=block_count,
                        sub=sub,
                        use=use,
                        poly=pm,
                        frame_rects=rects,
                        x_range=xr,
                        y_range=yr,
                        angle=angle,
                        origin=(ox, oy),
                        storeys=storeys,
                        storey_h=sh,
                        height=round(storeys * sh + 1.2, 1),
                    )
                )
            block_count += 1
            return True
        return False

    # demonstration blocks first: Nanjing East Road and Dapuqiao
    demo_specs = (
        (1, [("office", 22), ("retail", 8), ("office", 14)]),
        (7, [("office", 18), ("office", 12), ("residential", 9)]),
    )
    placed_per_sub = [0] * len(sub_polys)
    for sub, spec in demo_specs:
        cx, cy = _TO_METRIC.transform(*_SUBDISTRICTS[sub][3])
        if not try_place(sub, list(spec), True, Point(float(cx), float(cy))):
            raise RuntimeError("could not place a demonstration block")  # pragma: no cover
        demo_blocks.append(block_count - 1)
        placed_per_sub[sub] += len(spec)

    size_p = np.array([0.30, 0.30, 0.22, 0.18])
    for sub in range(len(sub_polys)):
        weights = _SUBDISTRICTS[sub][5]
        forced = list(_FIRST_USES[sub])
        guard_count = 0
        while placed_per_sub[sub] < quotas[sub] and guard_count < 200:
            guard_count += 1
            remaining = quotas[sub] - placed_per_sub[sub]
            size = min(int(rng.choice(4, p=size_p)) + 1, remaining)
            use = forced.pop(0) if forced else _choose_use(rng, weights)
            if use in ("transport", "parking", "industrial"):
                size = min(size, 2)
            spec = [(use, _storeys_for(rng, use)) for _ in range(size)]
            ok = try_place(sub, spec, False, None)
            if not ok and size > 1:
                ok = try_place(sub, spec[:1], False, None)
                size = 1
            if ok:
                placed_per_sub[sub] += size

    # ---- organisations ---------------------------------------------------------------------
    owners = tuple(
        DemoOrganisation(key=f"O{i + 1:02d}", role="owner", kind=k, name_zh=zh, name_en=en)
        for i, (k, zh, en) in enumerate(_OWNERS)
    )
    suppliers_list = []
    for i, (zh, en) in enumerate(_SUPPLIERS):
        cap = int(round(float(rng.uniform(2000.0, 8000.0)) / 50.0) * 50)
        n_cert = int(rng.integers(3, 6))
        picks = sorted(int(j) for j in rng.choice(len(_CERTIFICATIONS), size=n_cert, replace=False))
        suppliers_list.append(
            DemoOrganisation(
                key=f"P{i + 1:02d}",
                role="supplier",
                kind="pv_epc",
                name_zh=zh,
                name_en=en,
                annual_capacity_kw=cap,
                certifications=tuple(_CERTIFICATIONS[j] for j in picks),
            )
        )
    suppliers = tuple(suppliers_list)

    # owner per block: least-loaded eligible owner, ties broken by the rng
    n_blocks = block_count
    block_use = [""] * n_blocks
    for b in buildings:
        block_use[b.block] = block_use[b.block] or b.use
    load = [0] * len(owners)
    block_owner = [-1] * n_blocks
    # first every owner gets one block (scarcest owners first), then least-loaded assignment
    eligible_blocks = [
        [blk for blk in range(n_blocks) if block_use[blk] in _OWNER_USES[o.kind]] for o in owners
    ]
    for oi in sorted(range(len(owners)), key=lambda i: (len(eligible_blocks[i]), i)):
        free = [blk for blk in eligible_blocks[oi] if block_owner[blk] < 0]
        if free:
            pick_blk = free[int(rng.integers(len(free)))]
            block_owner[pick_blk] = oi
            load[oi] += 1
    for blk in range(n_blocks):
        if block_owner[blk] >= 0:
            continue
        use = block_use[blk]
        eligible = [i for i, o in enumerate(owners) if use in _OWNER_USES[o.kind]]
        least = min(load[i] for i in eligible)
        cands = [i for i in eligible if load[i] == least]
        pick = cands[int(rng.integers(len(cands)))]
        block_owner[blk] = pick
        load[pick] += 1

    # ---- sites ---------------------------------------------------------------------------
    prefix_order = [int(i) for i in rng.permutation(len(_NAME_PREFIXES))]
    used_complex: dict[str, int] = {}
    block_names: list[tuple[str, str]] = []
    for blk in range(n_blocks):
        use = block_use[blk]
        pz, pe = _NAME_PREFIXES[prefix_order[blk % len(prefix_order)]]
        sz, se = _USE_NAMES[use]
        base_zh, base_en = f"{pz}{sz}", f"{pe} {se}"
        n = used_complex.get(base_zh, 0) + 1
        used_complex[base_zh] = n
        if n > 1:
            base_zh, base_en = f"{pz}第{n}{sz}", f"{pe} {se} {n}"
        block_names.append((base_zh, base_en))

    site_keys = [f"S{i + 1:04d}" for i in range(len(buildings))]
    block_members: dict[int, list[int]] = {}
    for b in buildings:
        block_members.setdefault(b.block, []).append(b.idx)

    sites: list[DemoSite] = []
    for b in buildings:
        code, _, _, _, _, _, streets = _SUBDISTRICTS[b.sub]
        members = block_members[b.block]
        cz, ce = block_names[b.block]
        if len(members) > 1:
            letter = _BLOCK_LETTERS[members.index(b.idx)]
            name_zh, name_en = f"{cz}{letter}座", f"{ce} {letter}"
        else:
            name_zh, name_en = cz, ce
        street = streets[int(rng.integers(len(streets)))]
        address = f"上海市黄浦区{street}{int(rng.integers(1, 900))}号"
        heritage = (
            _SUBDISTRICTS[b.sub][2] in ("Waitan", "Yuyuan")
            and b.block not in demo_blocks
            and (bool(rng.random() < 0.3))
        )
        if b.use in ("government", "school", "hospital"):
            bm_p = [0.3, 0.6, 0.1]
        elif b.use in ("industrial", "parking", "transport"):
            bm_p = [0.2, 0.4, 0.4]
        else:
            bm_p = [0.4, 0.4, 0.2]
        bm = BUSINESS_MODELS[int(rng.choice(3, p=bm_p))]
        geo = _polygon_geojson(b.poly)
        c = b.poly.centroid
        loc = _to_lonlat([(c.x, c.y)])[0]
        sites.append(
            DemoSite(
                key=site_keys[b.idx],
                name_zh=name_zh,
                name_en=name_en,
                address_zh=address,
                owner_key=owners[block_owner[b.block]].key,
                subdistrict_code=code,
                use=b.use,
                height_m=b.height,
                storeys=b.storeys,
                storey_height_m=b.storey_h,
                footprint=geo,
                footprint_area_m2=_r(b.poly.area),
                location=(loc[0], loc[1]),
                business_model=bm,
                heritage=heritage,
                complex_zh=cz,
                complex_en=ce,
            )
        )

    surfaces = _build_surfaces(rng, buildings, site_keys, hulls, sub_inner, demo_blocks, block_members)

    subdistricts = tuple(
        DemoSubdistrict(
            code=row[0],
            name_zh=row[1],
            name_en=row[2],
            centre=row[3],
            polygon=_polygon_geojson(poly),
            area_km2=round(poly.area / 1e6, 3),
        )
        for row, poly in zip(_SUBDISTRICTS, sub_polys, strict=True)
    )
    outline_ring = [[lon, lat] for lon, lat in HUANGPU_OUTLINE]
    outline_ring.append(list(HUANGPU_OUTLINE[0]))
    return DemoDistrict(
        seed=seed,
        name_zh="黄浦区",
        name_en="Huangpu District",
        outline={"type": "Polygon", "coordinates": [outline_ring]},
        subdistricts=subdistricts,
        owners=owners,
        suppliers=suppliers,
        sites=tuple(sites),
        surfaces=surfaces,
        demo_point_candidates=tuple(tuple(site_keys[i] for i in block_members[blk]) for blk in demo_blocks),
    )


# --------------------------------------------------------------------------------------------
# Surfaces
# --------------------------------------------------------------------------------------------


@dataclass
class _Draft:
    site: int
    kind: str
    geometry: dict[str, Any]
    tilt: float
    azimuth: float
    gross: float
    usable: float
    shading: float
    height: float
    storey: int
    h_from: float | None = None
    h_to: float | None = None
    linked: int | None = None


def _outer_edges(
    poly: Polygon, footprint: Polygon, min_len: float
) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Edges of ``poly`` (CCW) lying on ``footprint``'s boundary, at least ``min_len`` long."""
    ring = list(orient(poly, 1.0).exterior.coords)
    edges = []
    boundary = footprint.exterior
    for p, q in itertools.pairwise(ring):
        seg = LineString([p, q])
        if seg.length < min_len:
            continue
        if boundary.distance(seg.interpolate(0.5, normalized=True)) > 0.05:
            continue
        edges.append(((float(p[0]), float(p[1])), (float(q[0]), float(q[1]))))
    return edges


def _build_surfaces(
    rng: np.random.Generator,
    buildings: list[_Building],
    site_keys: list[str],
    hulls: list[Polygon],
    sub_inner: list[Polygon],
    demo_blocks: list[int],
    block_members: dict[int, list[int]],
) -> tuple[DemoSurface, ...]:
    n = len(buildings)
    demo_sites = [i for blk in demo_blocks for i in block_members[blk]]

    # ---- roofs: 1 section per site plus extra sections weighted by footprint area -----------
    extra = [0] * n
    slots = [(i, j) for i in range(n) for j in range(3)]
    w = np.array([buildings[i].poly.area * (0.55**j) for i, j in slots], dtype=float)
    n_extra = max(0, _TARGET_ROOFS - n)
    for s in rng.choice(len(slots), size=min(n_extra, len(slots)), replace=False, p=w / w.sum()):
        extra[slots[int(s)][0]] += 1
    for i in demo_sites:  # demo towers always have a tower roof and a podium roof
        extra[i] = max(extra[i], 1)
    drafts: list[_Draft] = []
    tower_sections: dict[int, tuple[Polygon, float]] = {}  # site -> (tower section, podium height)
    for b in buildings:
        k = 1 + extra[b.idx]
        x0, x1 = b.x_range
        ys = [r[1] for r in b.frame_rects] + [r[3] for r in b.frame_rects]
        frame_poly = Polygon([(x0, min(ys) - 1), (x1, min(ys) - 1), (x1, max(ys) + 1), (x0, max(ys) + 1)])
        local = shapely.union_all([box(*r) for r in b.frame_rects])
        cuts = [x0 + (x1 - x0) * t / k for t in range(k + 1)]
        sections = []
        for a, c in itertools.pairwise(cuts):
            part = local.intersection(box(a, frame_poly.bounds[1], c, frame_poly.bounds[3]))
            if isinstance(part, Polygon) and part.area > 1.0:
                sections.append(part)
        if not sections:
            sections = [local] if isinstance(local, Polygon) else [b.poly]
        has_podium = b.height > 30.0 and len(sections) >= 2
        podium_storeys = int(rng.integers(3, 6)) if has_podium else b.storeys
        podium_h = round(podium_storeys * b.storey_h + 1.0, 1)
        tower_idx = int(rng.integers(len(sections))) if has_podium else -1
        pitched_p = 0.0
        if b.height <= 30.0:
            pitched_p = {"residential": 0.5, "school": 0.3, "government": 0.2}.get(b.use, 0.08)
        if b.block in demo_blocks:
            pitched_p = 0.0
        for s_i, sec in enumerate(sections):
            world = _frame_to_world(sec, b.angle, b.origin)
            is_tower = not has_podium or s_i == tower_idx
            height = b.height if is_tower else podium_h
            storey = b.storeys if is_tower else podium_storeys
            if has_podium and s_i == tower_idx:
                tower_sections[b.idx] = (world, podium_h)
            if rng.random() < pitched_p:
                tilt = _r(rng.uniform(15.0, 30.0))
                sy0, sy1 = sec.bounds[1], sec.bounds[3]
                mid = (sy0 + sy1) / 2.0
                up = _azimuth(-math.sin(b.angle), math.cos(b.angle))  # +v direction
                down = (up + 180.0) % 360.0
                if abs(up - 180.0) <= abs(down - 180.0):
                    half = sec.intersection(box(sec.bounds[0] - 1, mid, sec.bounds[2] + 1, sy1 + 1))
                    az = up
                else:
                    half = sec.intersection(box(sec.bounds[0] - 1, sy0 - 1, sec.bounds[2] + 1, mid))
                    az = down
                if not isinstance(half, Polygon) or half.area < 1.0:
                    half, tilt, az = sec, 0.0, 180.0
                geom = _frame_to_world(half, b.angle, b.origin)
                gross = geom.area / math.cos(math.radians(tilt))
                usable_f = float(rng.uniform(0.6, 0.75))
            else:
                tilt = _r(rng.uniform(0.0, 10.0))
                az = 180.0
                geom = world
                gross = geom.area
                usable_f = float(rng.uniform(0.55, 0.72))
            shading = float(rng.uniform(0.02, 0.12)) + (0.05 if height < 15.0 else 0.0)
            drafts.append(
                _Draft(
                    site=b.idx,
                    kind="roof",
                    geometry=_polygon_geojson(geom),
                    tilt=tilt,
                    azimuth=_r(az),
                    gross=gross,
                    usable=gross * usable_f,
                    shading=shading,
                    height=height,
                    storey=storey,
                )
            )

    # ---- curtain walls on buildings taller than 24 m ---------------------------------------
    wall_cands: list[tuple[int, tuple[tuple[float, float], tuple[float, float]], float, float]] = []
    for b in buildings:
        if b.height <= 24.0:
            continue
        if b.idx in tower_sections:
            sec, h_from = tower_sections[b.idx]
        else:
            sec, h_from = b.poly, round(2 * b.storey_h + 0.5, 1)
        h_to = round(b.height - 1.5, 1)
        if h_to - h_from < 10.0:
            continue
        for p, q in _outer_edges(sec, b.poly, 12.0):
            az = _azimuth(q[1] - p[1], -(q[0] - p[0]))  # outward normal of a CCW ring: (dy, -dx)
            if 90.0 <= az <= 270.0:
                wall_cands.append((b.idx, (p, q), h_from, h_to))
    forced_walls: list[int] = []
    for i in demo_sites:
        if buildings[i].height > 24.0:
            best = [
                (abs(_azimuth(c[1][1][1] - c[1][0][1], -(c[1][1][0] - c[1][0][0])) - 180.0), j)
                for j, c in enumerate(wall_cands)
                if c[0] == i
            ]
            if best:
                forced_walls.append(min(best)[1])
    order = [j for j in (int(v) for v in rng.permutation(len(wall_cands))) if j not in forced_walls]
    per_site: dict[int, int] = {}
    chosen_walls: list[int] = []
    for j in forced_walls + order:
        if len(chosen_walls) >= _TARGET_WALLS:
            break
        site = wall_cands[j][0]
        if per_site.get(site, 0) >= 2:
            continue
        per_site[site] = per_site.get(site, 0) + 1
        chosen_walls.append(j)
    for j in sorted(chosen_walls):
        site, (p, q), h_from, h_to = wall_cands[j]
        b = buildings[site]
        length = math.dist(p, q)
        az = _azimuth(q[1] - p[1], -(q[0] - p[0]))
        gross = length * (h_to - h_from)
        mid = (h_from + h_to) / 2.0
        drafts.append(
            _Draft(
                site=site,
                kind="curtain_wall",
                geometry={"type": "LineString", "coordinates": _to_lonlat([p, q])},
                tilt=90.0,
                azimuth=_r(az),
                gross=gross,
                usable=gross * float(rng.uniform(0.4, 0.6)),
                shading=float(rng.uniform(0.12, 0.35)),
                height=round(h_from, 1),  # a wall sits at its band's bottom, as the register draws it
                storey=max(1, math.ceil(mid / b.storey_h)),
                h_from=h_from,
                h_to=h_to,
            )
        )

    # ---- corridors (skybridges) between neighbouring buildings of a block -----------------
    corr_cands: list[tuple[int, int, int]] = []  # (a, b, level index)
    for blk in sorted(block_members):
        members = block_members[blk]
        for a, c in itertools.pairwise(members):
            ba, bc = buildings[a], buildings[c]
            gap = bc.x_range[0] - ba.x_range[1]
            ov = min(ba.y_range[1], bc.y_range[1]) - max(ba.y_range[0], bc.y_range[0])
            if gap > 40.0 or ov < 8.0 or min(ba.height, bc.height) < 14.0:
                continue
            corr_cands.append((a, c, 0))
            if min(ba.height, bc.height) >= 34.0:
                corr_cands.append((a, c, 1))
    forced_corr = [j for j, cc in enumerate(corr_cands) if cc[0] in demo_sites and cc[2] == 0]
    corr_order = forced_corr + [
        j for j in (int(v) for v in rng.permutation(len(corr_cands))) if j not in forced_corr
    ]
    chosen_corr = sorted(corr_order[:_TARGET_CORRIDORS])
    for j in chosen_corr:
        a, c, level = corr_cands[j]
        ba, bc = buildings[a], buildings[c]
        top = min(ba.height, bc.height) - 3.0
        sh = ba.storey_h
        levels = [s for s in range(1, 60) if 10.0 <= s * sh <= min(30.0, top)]
        if not levels:
            levels = [max(1, int(10.0 // sh) + 1)]
        s = levels[len(levels) // 3] if a in demo_sites else levels[int(rng.integers(len(levels)))]
        if level == 1:
            alt = [v for v in levels if abs(v - s) >= 2]
            if not alt:
                continue
            s = alt[int(rng.integers(len(alt)))]
        y_lo = max(ba.y_range[0], bc.y_range[0])
        y_hi = min(ba.y_range[1], bc.y_range[1])
        width = float(rng.uniform(3.0, 6.0))
        yc = (
            float(rng.uniform(y_lo + width / 2 + 1.0, y_hi - width / 2 - 1.0))
            if y_hi - y_lo > width + 2
            else ((y_lo + y_hi) / 2)
        )
        rect = box(ba.x_range[1], yc - width / 2, bc.x_range[0], yc + width / 2)
        world = _frame_to_world(rect, ba.angle, ba.origin)
        tilt = _r(rng.uniform(0.0, 5.0))
        if tilt > 0:
            up = _azimuth(-math.sin(ba.angle), math.cos(ba.angle))
            az = up if abs(up - 180.0) <= 90.0 else (up + 180.0) % 360.0
        else:
            az = 180.0
        gross = world.area / math.cos(math.radians(tilt))
        drafts.append(
            _Draft(
                site=a,
                kind="corridor",
                geometry=_polygon_geojson(world),
                tilt=tilt,
                azimuth=_r(az),
                gross=gross,
                usable=gross * float(rng.uniform(0.75, 0.88)),
                shading=float(rng.uniform(0.08, 0.25)),
                height=round(s * sh, 1),
                storey=s,
                linked=c,
            )
        )

    # ---- walkway canopies at ground level along street edges -------------------------------
    foot_arr = np.asarray([b.poly for b in buildings], dtype=object)
    hull_arr = np.asarray(hulls, dtype=object)
    walk_cands: list[tuple[int, tuple[float, float], tuple[float, float]]] = []
    for b in buildings:
        for p, q in _outer_edges(b.poly, b.poly, 18.0):
            walk_cands.append((b.idx, p, q))
    accepted: list[Polygon] = []
    n_walk = 0
    demo_first = [j for j, wc in enumerate(walk_cands) if wc[0] in demo_sites]
    walk_order = demo_first + [
        j for j in (int(v) for v in rng.permutation(len(walk_cands))) if j not in demo_first
    ]
    walk_sites: dict[int, int] = {}
    done_demo_blocks: list[int] = []
    for j in walk_order:
        if n_walk >= _TARGET_WALKWAYS:
            break
        site, p, q = walk_cands[j]
        b = buildings[site]
        if b.block in demo_blocks and b.block in done_demo_blocks:
            continue
        if walk_sites.get(site, 0) >= 1:
            continue
        dx, dy = q[0] - p[0], q[1] - p[1]
        length = math.hypot(dx, dy)
        ux, uy = dx / length, dy / length
        nx, ny = uy, -ux  # outward normal
        depth = float(rng.uniform(3.0, 5.0))
        start = float(rng.uniform(1.0, 0.25 * length))
        end = length - float(rng.uniform(1.0, 0.25 * length))
        a0 = (p[0] + ux * start + nx * 0.3, p[1] + uy * start + ny * 0.3)
        a1 = (p[0] + ux * end + nx * 0.3, p[1] + uy * end + ny * 0.3)
        strip = Polygon(
            [a0, a1, (a1[0] + nx * depth, a1[1] + ny * depth), (a0[0] + nx * depth, a0[1] + ny * depth)]
        )
        probe = Polygon(
            [a0, a1, (a1[0] + nx * 20.0, a1[1] + ny * 20.0), (a0[0] + nx * 20.0, a0[1] + ny * 20.0)]
        )
        if not sub_inner[b.sub].contains(strip):
            continue
        others = np.array([k != site for k in range(len(buildings))])
        if bool(np.any(shapely.intersects(foot_arr[others], probe.buffer(1.0)))):
            continue  # not a street edge (another building within 20 m)
        own_hull = hulls[b.block]
        if bool(np.any(shapely.intersects(np.delete(hull_arr, b.block), strip.buffer(1.0)))):
            continue
        if accepted and bool(
            np.any(shapely.intersects(np.asarray(accepted, dtype=object), strip.buffer(1.0)))
        ):
            continue
        del own_hull
        tilt = _r(rng.uniform(0.0, 10.0))
        az = _azimuth(nx, ny) if tilt > 0 else 180.0
        gross = strip.area / math.cos(math.radians(tilt))
        drafts.append(
            _Draft(
                site=site,
                kind="walkway",
                geometry=_polygon_geojson(strip),
                tilt=tilt,
                azimuth=_r(az),
                gross=gross,
                usable=gross * float(rng.uniform(0.8, 0.9)),
                shading=float(rng.uniform(0.15, 0.35)),
                height=_r(rng.uniform(3.0, 4.0)),
                storey=1,
            )
        )
        accepted.append(strip)
        walk_sites[site] = 1
        n_walk += 1
        if b.block in demo_blocks:
            done_demo_blocks.append(b.block)

    # ---- keys, in site order then kind order -------------------------------------------------
    kind_rank = {k: i for i, k in enumerate(SURFACE_KINDS)}
    prefix = {"roof": "R", "curtain_wall": "CW", "corridor": "CR", "walkway": "WK"}
    drafts.sort(key=lambda d: (d.site, kind_rank[d.kind]))
    counters: dict[tuple[int, str], int] = {}
    out = []
    for d in drafts:
        cnt = counters.get((d.site, d.kind), 0) + 1
        counters[(d.site, d.kind)] = cnt
        out.append(
            DemoSurface(
                key=f"{site_keys[d.site]}-{prefix[d.kind]}{cnt}",
                site_key=site_keys[d.site],
                kind=d.kind,
                geometry=d.geometry,
                tilt_deg=d.tilt,
                azimuth_deg=d.azimuth,
                gross_area_m2=_r(d.gross),
                usable_area_m2=_r(min(d.usable, d.gross)),
                shading_loss=round(min(max(d.shading, 0.0), 0.35), 3),
                height_m=_r(d.height),
                storey=int(d.storey),
                height_from_m=d.h_from,
                height_to_m=d.h_to,
                linked_site_key=site_keys[d.linked] if d.linked is not None else None,
            )
        )
    return tuple(out)
