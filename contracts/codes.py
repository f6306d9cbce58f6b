"""Codes that travel on the wire, with the Chinese names staff and applicants read."""

from enum import StrEnum


class Department(StrEnum):
    civil_affairs = "civil_affairs"
    education = "education"
    hrss = "hrss"
    housing = "housing"
    medical = "medical"
    federations = "federations"
    # The township window's own post: items it settles itself (level "window", 000 §四.1).
    window = "window"


class Item(StrEnum):
    """The kinds of help (DOMAIN.md §7). Which department handles one is region policy."""

    dibao = "dibao"
    dibao_edge = "dibao_edge"
    tekun = "tekun"
    temporary_aid = "temporary_aid"
    emergency_aid = "emergency_aid"
    disaster_relief = "disaster_relief"
    disability_subsidy = "disability_subsidy"
    education_aid = "education_aid"
    employment_aid = "employment_aid"
    housing_aid = "housing_aid"
    medical_aid = "medical_aid"
    union_hardship = "union_hardship"
    youth_aid = "youth_aid"
    women_children_aid = "women_children_aid"
    disabled_rehab = "disabled_rehab"
    red_cross_aid = "red_cross_aid"
    charity_referral = "charity_referral"
    consultation = "consultation"
    legal_aid = "legal_aid"
    other = "other"


class Channel(StrEnum):
    window = "window"
    hotline = "hotline"
    online = "online"
    village = "village"
    petition = "petition"
    phone = "phone"


DEPARTMENT_NAMES: dict[Department, str] = {
    Department.civil_affairs: "民政（社会事务办）",
    Department.education: "教育",
    Department.hrss: "人力资源和社会保障",
    Department.housing: "住房和城乡建设",
    Department.medical: "医疗保障",
    Department.federations: "群团组织（工会、团委、妇联、残联、红十字会、慈善总会）",
    Department.window: "乡镇社会救助服务窗口",
}

ITEM_NAMES: dict[Item, str] = {
    Item.dibao: "最低生活保障（低保）",
    Item.dibao_edge: "低保边缘家庭（低边）",
    Item.tekun: "特困人员救助供养（特困）",
    Item.temporary_aid: "临时救助",
    Item.emergency_aid: "急难型临时救助",
    Item.disaster_relief: "受灾人员救助",
    Item.disability_subsidy: "残疾人两项补贴",
    Item.education_aid: "教育救助",
    Item.employment_aid: "就业救助",
    Item.housing_aid: "住房救助",
    Item.medical_aid: "医疗救助",
    Item.union_hardship: "困难职工帮扶（工会）",
    Item.youth_aid: "困境青少年帮扶（团委）",
    Item.women_children_aid: "困难妇女儿童帮扶（妇联）",
    Item.disabled_rehab: "残疾人康复救助（残联）",
    Item.red_cross_aid: "人道救助（红十字会）",
    Item.charity_referral: "慈善项目救助（慈善总会，转介）",
    Item.consultation: "政策咨询与证明开具",
    Item.legal_aid: "法律援助",
    Item.other: "其他困难（实施主体待定）",
}

CHANNEL_NAMES: dict[Channel, str] = {
    Channel.window: "窗口受理",
    Channel.hotline: "12345热线",
    Channel.online: "网上申请",
    Channel.village: "村（社区）协理员代办",
    Channel.petition: "信访转办",
    Channel.phone: "电话报告",
}
