"""Township codes become names for people; an unknown code stays a code."""
from backend_client.townships import township_name, township_names


def test_every_township_of_the_division_file_has_its_name():
    names = township_names()
    assert len(names) == 14 and all(code.startswith("330784") for code in names)
    assert township_name("330784001") == "东城街道" and township_name("330784109") == "方岩镇"


def test_an_unknown_code_is_shown_as_it_is():
    assert township_name("999999999") == "999999999" and township_name("") == ""


def test_an_unreadable_file_gives_no_names_not_an_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert township_names(str(bad)) == {}
