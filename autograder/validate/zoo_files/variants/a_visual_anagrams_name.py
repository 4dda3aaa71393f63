"""the anagram defined under the course's deliverable name, visual_anagrams"""

PART = 'a'
ORIGIN = 'write-ups naming the function after the deliverable ("visual anagrams")'
IN = 'make_flip_illusion'
REPLACE = [
    ('def make_flip_illusion(', 'def visual_anagrams('),
]
